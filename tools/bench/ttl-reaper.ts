/**
 * Benchmark: N Sandboxes (default 10,000) with shutdownPolicy Delete and deadlines spread evenly
 * over a window (default 60 s), with the ttl-reaper running as its own process. A client watch
 * sees each deletion; lag = the time the DELETED event arrives minus the deadline. Prints JSON:
 * p50/p99/max lag, missed deadlines, and the API server's p99 for mutating requests during the
 * window (from its apiserver_request_duration_seconds histogram).
 *
 *   node tools/bench/ttl-reaper.ts [--count=10000] [--window-seconds=60] [--lead-seconds=45]
 *
 * Uses the cluster named by KUBECONFIG, else starts a local control plane and removes it after.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { SANDBOX } from '@agent-sandbox/api';
import { installCrds } from '@agent-sandbox/api/crds';
import { ControlPlane, freePort } from '@agent-sandbox/controlplane';
import { Informer, KubeClient, Kinds, type KubeObject } from '@agent-sandbox/runtime';
import { createLogger } from '@agent-sandbox/telemetry';

const ROOT = join(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    'window-seconds': { type: 'string', default: '60' },
    // Time from the start of creation to the first deadline: creation must be over by then.
    'lead-seconds': { type: 'string', default: '45' },
    'create-concurrency': { type: 'string', default: '64' },
  },
});
const count = Number(values.count);
const windowMs = Number(values['window-seconds']) * 1000;
const leadMs = Number(values['lead-seconds']) * 1000;

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

type Buckets = Map<number, number>;
/** Mutating requests' latency histogram (all resources), summed: upper bound → cumulative count. */
async function mutatingBuckets(client: KubeClient): Promise<Buckets> {
  const text = await client.getText('/metrics');
  const buckets: Buckets = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_duration_seconds_bucket{')) continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1];
    if (!verb || !['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY'].includes(verb)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + value);
  }
  return buckets;
}

function p99Between(before: Buckets, after: Buckets): { count: number; p99Seconds: number } {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const delta = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const total = delta[delta.length - 1] ?? 0;
  const target = total * 0.99;
  const i = delta.findIndex((c) => c >= target);
  return { count: total, p99Seconds: bounds[i] ?? NaN };
}

/** Upper bucket bounds of the p50, p99 and max of a Prometheus histogram, summed over labels. */
function histogramQuantiles(text: string, name: string): { count: number; p50: number; p99: number; max: number } {
  const buckets = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`)) continue;
    const le = /le="([^"]+)"/.exec(line)![1]!;
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Infinity) ?? 0;
  const at = (q: number) => bounds.find((b) => (buckets.get(b) ?? 0) >= q * total) ?? NaN;
  return { count: total, p50: at(0.5), p99: at(0.99), max: at(1) };
}

async function main(): Promise<void> {
  let cluster: ControlPlane | undefined;
  let kubeconfig = process.env.KUBECONFIG;
  if (!kubeconfig) {
    cluster = await ControlPlane.up({
      name: `bench-ttl-${process.pid}`,
      ownerPid: process.pid,
      nodes: 1,
      preload: [join(ROOT, 'deploy', 'crds')],
      progress: (l) => console.error(`controlplane: ${l}`),
    });
    kubeconfig = cluster.kubeconfigPath;
  }
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const client = new KubeClient(kc);
  const namespace = `bench-ttl-${Date.now().toString(36)}`;
  let reaper: ReturnType<typeof spawn> | undefined;
  const log = createLogger({ program: 'bench', level: 'warn' });
  const deleted = new Map<string, number>();
  const watch = new Informer<KubeObject>({ kind: SANDBOX, client, log, namespace });
  try {
    await installCrds(kc);
    await client.create(Kinds.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    watch.addHandlers({ delete: (obj) => deleted.set(obj.metadata.name!, Date.now()) });
    watch.start();
    await watch.waitForSync();

    const healthPort = await freePort();
    reaper = spawn(
      join(ROOT, 'node_modules', '.bin', 'node'),
      [join(ROOT, 'apps', 'ttl-reaper', 'src', 'main.ts'), `--kubeconfig=${kubeconfig}`, `--watch-namespace=${namespace}`, `--health-probe-bind-address=127.0.0.1:${healthPort}`, '--log-level=warn'],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
    );

    const start = Date.now();
    const firstDeadline = start + leadMs;
    const deadlines = new Map<string, number>();
    let next = 0;
    const createOne = async (i: number) => {
      const name = `s-${i}`;
      const at = firstDeadline + Math.floor((i * windowMs) / count);
      deadlines.set(name, at);
      await client.create(SANDBOX, {
        apiVersion: SANDBOX.apiVersion,
        kind: SANDBOX.kind,
        metadata: { name, namespace },
        spec: { shutdownTime: new Date(at).toISOString(), shutdownPolicy: 'Delete', podTemplate: { spec: { containers: [{ name: 'main', image: 'python:3.13-slim' }] } } },
      });
    };
    await Promise.all(
      Array.from({ length: Number(values['create-concurrency']) }, async () => {
        for (let i = next++; i < count; i = next++) await createOne(i);
      }),
    );
    const createdMs = Date.now() - start;
    if (Date.now() > firstDeadline) console.error(`warning: creation took ${createdMs} ms, past the first deadline; raise --lead-seconds`);

    const before = await mutatingBuckets(client);
    const lastDeadline = firstDeadline + windowMs;
    const giveUp = lastDeadline + 30_000;
    while (deleted.size < count && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 200));
    const after = await mutatingBuckets(client);

    const reaperLag = histogramQuantiles(await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text(), 'agent_sandbox_ttl_deadline_lag_seconds');
    const lags = [...deadlines].filter(([name]) => deleted.has(name)).map(([name, at]) => deleted.get(name)! - at).sort((a, b) => a - b);
    const early = lags.filter((l) => l < 0).length;
    const apiserver = p99Between(before, after);
    console.log(
      JSON.stringify(
        {
          benchmark: 'ttl-reaper',
          cluster: cluster ? 'local control plane' : kubeconfig,
          sandboxes: count,
          windowSeconds: windowMs / 1000,
          createSeconds: createdMs / 1000,
          deleted: lags.length,
          missed: count - lags.length,
          deletedBeforeDeadline: early,
          // As a client watch sees it: deadline → DELETED event.
          lagMs: { p50: quantile(lags, 0.5), p90: quantile(lags, 0.9), p99: quantile(lags, 0.99), max: lags[lags.length - 1] ?? NaN },
          // As the reaper measures it (deadline → its delete answered), upper bucket bounds.
          reaperLagSecondsAtMost: reaperLag,
          apiserverMutating: { requests: apiserver.count, p99Seconds: apiserver.p99Seconds },
        },
        null,
        2,
      ),
    );
  } finally {
    reaper?.kill('SIGTERM');
    await watch.stop();
    await client.request('DELETE', `/api/v1/namespaces/${namespace}`).catch(() => undefined);
    client.close();
    await cluster?.down();
  }
}

await main();
