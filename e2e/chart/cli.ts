/**
 * `npm run e2e:chart` (the local cluster with its real node) and `npm run e2e:kind` (a kind
 * cluster, for machines with a container engine: hosted CI): the same steps as the node tier's
 * chart test (e2e/chart/flow.ts), in order; the cluster is removed at the end whatever happened.
 */
import { parseArgs } from 'node:util';
import { kindCluster, localCluster, type ChartCluster } from '@agent-sandbox/chart-tools';
import { chartE2e, STEPS } from './flow.ts';

const HELP = `Usage: npm run e2e:chart [-- flags]     the local cluster with a real node (Linux, root)
       npm run e2e:kind [-- flags]      a kind cluster (kind and a container engine on PATH)

Builds the programs' images, loads them onto the cluster's nodes, installs the umbrella chart
(deploy/charts/agent-sandbox) and runs: ${STEPS.map((s) => s.id).join(', ')}.

Flags:
  --name <name>   cluster name (default chart-e2e / agent-sandbox-e2e)
  --keep          leave the cluster up at the end (then: npm run cluster -- down --name <name>,
                  or kind delete cluster --name <name>)
  --only <ids>    run only these steps (comma-separated; later steps need the earlier ones)
  -h, --help
`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { name: { type: 'string' }, keep: { type: 'boolean', default: false }, only: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const flavour = positionals[0];
  if (flavour !== 'local' && flavour !== 'kind') {
    process.stderr.write(HELP);
    return 2;
  }
  const log = (line: string) => console.error(`e2e:${flavour === 'kind' ? 'kind' : 'chart'}: ${line}`);
  const only = values.only ? new Set(values.only.split(',')) : undefined;
  const started = Date.now();
  const cluster: ChartCluster =
    flavour === 'kind' ? await kindCluster(values.name ?? 'agent-sandbox-e2e', { progress: log }) : await localCluster(values.name ?? 'chart-e2e', { progress: log });
  const e = chartE2e(cluster, log);
  e.figures.clusterUpSeconds = Math.round((Date.now() - started) / 100) / 10;
  let failed = 0;
  try {
    for (const step of STEPS) {
      if (only && !only.has(step.id)) continue;
      const t = Date.now();
      log(`▶ ${step.id}: ${step.title}`);
      await step.run(e);
      log(`✓ ${step.id} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    }
  } catch (err) {
    failed = 1;
    log(`✗ ${(err as Error).stack ?? String(err)}`);
  } finally {
    e.figures.totalSeconds = Math.round((Date.now() - started) / 100) / 10;
    console.log(JSON.stringify(e.figures));
    if (values.keep) log(`keeping cluster ${cluster.name} (${cluster.kubeconfigPath})`);
    else await cluster.down();
  }
  return failed;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`e2e: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
