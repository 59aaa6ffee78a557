/**
 * Benchmark: a cluster with a real node. Prints JSON: the time `up --real-node` takes (and its
 * parts: node Ready after the kubelet starts comes from its progress lines), one Pod Ready on the
 * real node (create → Ready, a real container with a real readiness probe), twenty Pods at once,
 * and the time `down` takes. Runs `--runs` times (default 3) on fresh clusters, one after another.
 *
 *   node tools/bench/real-node.ts [--runs=3] [--pods=20]
 *
 * Needs what `npm run cluster -- up --real-node` needs (Linux, root, the Debian packages).
 */
import { parseArgs } from 'node:util';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { ControlPlane, nodeImageRefs, REAL_NODE_PLACEMENT } from '@agent-sandbox/controlplane';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, pods: { type: 'string', default: '20' } } });
const runs = Number(values.runs);
const podCount = Number(values.pods);

const pod = (name: string): V1Pod => ({
  metadata: { name },
  spec: {
    ...REAL_NODE_PLACEMENT,
    terminationGracePeriodSeconds: 1,
    containers: [
      {
        name: 'netexec',
        image: nodeImageRefs().agnhost,
        args: ['netexec', '--http-port=8080'],
        readinessProbe: { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 1 },
      },
    ],
  },
});

/** Creates the Pods and resolves with each one's create → Ready time, from one watch-free poll loop. */
async function podsReady(core: CoreV1Api, names: string[]): Promise<{ wallMs: number; eachMs: number[] }> {
  const started = Date.now();
  const created = new Map<string, number>();
  await Promise.all(
    names.map(async (name) => {
      created.set(name, Date.now());
      await core.createNamespacedPod({ namespace: 'default', body: pod(name) });
    }),
  );
  const readyAt = new Map<string, number>();
  while (readyAt.size < names.length) {
    if (Date.now() - started > 180_000) throw new Error(`only ${readyAt.size}/${names.length} pods Ready after 180 s`);
    const list = await core.listNamespacedPod({ namespace: 'default' });
    for (const p of list.items) {
      const name = p.metadata!.name!;
      if (!created.has(name) || readyAt.has(name)) continue;
      if (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) readyAt.set(name, Date.now());
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { wallMs: Math.max(...readyAt.values()) - started, eachMs: names.map((n) => readyAt.get(n)! - created.get(n)!) };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

const results = [];
for (let run = 0; run < runs; run++) {
  const name = `bench-node-${process.pid}-${run}`;
  const lines: Array<{ at: number; line: string }> = [];
  const t0 = Date.now();
  const cp = await ControlPlane.up({ name, ownerPid: process.pid, nodes: 1, realNode: true, progress: (line) => lines.push({ at: Date.now() - t0, line }) });
  const upMs = Date.now() - t0;
  try {
    const core = cp.kubeConfig().makeApiClient(CoreV1Api);
    const nodeReady = lines.find((l) => l.line.startsWith('real node Ready'))?.line;
    const imported = lines.find((l) => l.line.startsWith('node images loaded'))?.line;
    const one = await podsReady(core, ['one']);
    const many = await podsReady(core, Array.from({ length: podCount }, (_, i) => `many-${i}`));
    const t1 = Date.now();
    await cp.down();
    results.push({
      run,
      upMs,
      nodeReadyAfterKubeletStart: nodeReady?.match(/([\d.]+) s/)?.[1] ? Number(nodeReady.match(/([\d.]+) s/)![1]) * 1000 : undefined,
      imagesImportMs: imported?.match(/([\d.]+) s/)?.[1] ? Number(imported.match(/([\d.]+) s/)![1]) * 1000 : undefined,
      onePodReadyMs: one.eachMs[0],
      pods: podCount,
      allPodsReadyMs: many.wallMs,
      podReadyP50Ms: pct(many.eachMs, 50),
      podReadyMaxMs: Math.max(...many.eachMs),
      downMs: Date.now() - t1,
    });
  } catch (err) {
    await cp.down();
    throw err;
  }
}
console.log(JSON.stringify({ benchmark: 'real-node', runs: results }, null, 2));
