/**
 * Benchmark: the programs' images. Prints JSON: each image's compressed size (what a pull
 * transfers at most: manifest + config + gzip layers; goal < 60 MB) and, on a cluster with a real
 * node, each program's start-up to Ready as the chart installs it: the chart installed once (helm
 * → every Deployment rolled out), then `--runs` times per program its Pod is deleted and the
 * replacement timed from the Pod's creation to Ready (readiness probed every second), and from
 * the program's first log line to its `started` line (its own start-up inside the container).
 *
 *   node tools/bench/images.ts [--runs=3] [--sizes-only]
 *
 * The start-up part needs what `npm run cluster -- up --real-node` needs (Linux, root), and the
 * programs' bundles (`npm run build`).
 */
import { parseArgs } from 'node:util';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { buildProgramImages, CHART_PROGRAMS, installChart, kubeConfigOf, localCluster } from '@agent-sandbox/chart-tools';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, 'sizes-only': { type: 'boolean', default: false } } });
const runs = Number(values.runs);
const log = (line: string) => console.error(`bench: ${line}`);

const built = await buildProgramImages(CHART_PROGRAMS, log);
const sizes = Object.fromEntries(
  built.images.map((img) => [
    img.repository.split('/').pop(),
    { compressedMB: Math.round(img.compressedSize / 1e5) / 10, layers: img.layers.map((l) => ({ MB: Math.round(l.size / 1e5) / 10, what: l.description.slice(0, 60) })) },
  ]),
);
if (values['sizes-only']) {
  console.log(JSON.stringify({ benchmark: 'images', sizes }, null, 2));
  process.exit(0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ready = (p: V1Pod) => !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
const probeEverySecond = { readinessProbe: { periodSeconds: 1 } };

const cluster = await localCluster(`bench-images-${process.pid}`, { ownerPid: process.pid, progress: log });
try {
  const t0 = Date.now();
  await cluster.loadImages(built.archive);
  const importMs = Date.now() - t0;
  const installed = await installChart(cluster, built, { values: Object.fromEntries(CHART_PROGRAMS.map((p) => [p, probeEverySecond])) });
  const core = kubeConfigOf(cluster).makeApiClient(CoreV1Api);
  const ns = installed.namespace;
  const startup: Record<string, { createToReadyMs: number[]; inProcessMs: number[] }> = {};
  for (const program of CHART_PROGRAMS) {
    startup[program] = { createToReadyMs: [], inProcessMs: [] };
    for (let run = 0; run < runs; run++) {
      const list = async () => (await core.listNamespacedPod({ namespace: ns, labelSelector: `app.kubernetes.io/name=${program}` })).items;
      const old = (await list()).map((p) => p.metadata!.uid!);
      await core.deleteNamespacedPod({ name: (await list())[0]!.metadata!.name!, namespace: ns, gracePeriodSeconds: 0 });
      let seenAt = 0;
      let pod: V1Pod | undefined;
      for (const deadline = Date.now() + 120_000; ; ) {
        if (Date.now() > deadline) throw new Error(`${program}: no Ready replacement within 120 s`);
        pod = (await list()).find((p) => !old.includes(p.metadata!.uid!));
        if (pod && !seenAt) seenAt = Date.now();
        if (pod && ready(pod)) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      startup[program].createToReadyMs.push(Date.now() - seenAt);
      const text = String(await core.readNamespacedPodLog({ name: pod.metadata!.name!, namespace: ns }));
      const lines = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { time?: string; msg?: string });
      const first = Date.parse(lines[0]!.time!);
      const started = lines.find((l) => l.msg === 'started');
      if (started) startup[program].inProcessMs.push(Date.parse(started.time!) - first);
    }
  }
  console.log(
    JSON.stringify(
      {
        benchmark: 'images',
        sizes,
        importAllMs: importMs,
        installToAllReadyS: installed.seconds,
        startup: Object.fromEntries(
          Object.entries(startup).map(([p, s]) => [p, { createToReadyMedianMs: median(s.createToReadyMs), createToReadyMs: s.createToReadyMs, inProcessMedianMs: s.inProcessMs.length ? median(s.inProcessMs) : undefined, inProcessMs: s.inProcessMs }]),
        ),
      },
      null,
      2,
    ),
  );
} finally {
  await cluster.down();
}
