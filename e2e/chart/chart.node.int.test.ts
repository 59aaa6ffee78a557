/**
 * `npm run e2e:chart` inside `npm test`: a cluster of its own with a real node (the run's shared
 * cluster keeps its CRDs and has no webhook; this one is installed into and uninstalled from),
 * the five programs' images built and imported into the node's containerd, the umbrella chart
 * installed, and every step of e2e/chart/flow.ts, one test each, in order. It takes about 8 min
 * on a quiet machine with the image cache warm, ~17 min at a load of 30–100 on 2 cores.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { localCluster, type ChartCluster } from '@agent-sandbox/chart-tools';
import { chartE2e, STEPS, type ChartE2e } from './flow.ts';

describe('the chart installed on a cluster with a real node', () => {
  let cluster: ChartCluster | undefined;
  let e: ChartE2e;
  const started = Date.now();

  beforeAll(async () => {
    cluster = await localCluster(`chart-e2e-${process.pid}`, { ownerPid: process.pid, progress: (l) => console.error(`controlplane: ${l}`) });
    e = chartE2e(cluster);
    e.figures.clusterUpSeconds = Math.round((Date.now() - started) / 100) / 10;
  }, 600_000);

  afterAll(async () => {
    if (e) console.log(`chart-e2e figures: ${JSON.stringify({ ...e.figures, totalSeconds: Math.round((Date.now() - started) / 100) / 10 })}`);
    if (process.env.AGENT_SANDBOX_KEEP_CLUSTER === '1') console.error(`chart-e2e: keeping cluster ${cluster?.name}`);
    else await cluster?.down();
  }, 120_000);

  for (const step of STEPS) it(step.title, () => step.run(e), 600_000);
});
