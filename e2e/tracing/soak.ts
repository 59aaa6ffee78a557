/**
 * A controller of the project's runtime, traced as a program is (setupTracing from the OTEL_*
 * variables, the one-warning reporter), reconciling `--reconciles` keys: each pass reads one
 * ConfigMap from the real API server, so each makes a reconcile span and a client span. Heap
 * (after a full GC) is logged every `--every` reconciles; the last line has `"done":true`. Run
 * with --expose-gc by the bad-endpoint test. `--concurrency` workers (16): the reads wait on a
 * shared, busy API server, so more of them at once keep the run short.
 */
import { parseArgs } from 'node:util';
import { Controller, KubeClient, Kinds, loadKubeConfig, traceExportReporter } from '@agent-sandbox/runtime';
import { createLogger, setupTracing } from '@agent-sandbox/telemetry';

const { values } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    namespace: { type: 'string' },
    name: { type: 'string' },
    reconciles: { type: 'string', default: '10000' },
    every: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '16' },
  },
});
const total = Number(values.reconciles);
const every = Number(values.every);
const log = createLogger({ program: 'soak', level: 'info' });
const tracing = await setupTracing({ serviceName: 'soak', onExportTrouble: traceExportReporter(log) });
const client = new KubeClient(await loadKubeConfig(values.kubeconfig!));
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

let done = 0;
let controller: Controller | undefined;
const finished = new Promise<void>((resolve) => {
  controller = new Controller({
    name: 'soak',
    kind: Kinds.ConfigMap,
    log,
    tracer: tracing.tracer('soak'),
    concurrency: Number(values.concurrency),
    reconcile: async (_req, ctx) => {
      await client.get(Kinds.ConfigMap, { namespace: values.namespace!, name: values.name! }, { signal: ctx.signal });
      done++;
      if (done % every === 0) {
        gc();
        log.info({ reconciles: done, heapUsed: process.memoryUsage().heapUsed, rss: process.memoryUsage().rss }, 'heap');
      }
      if (done === total) resolve();
    },
  });
  controller.start(Array.from({ length: total }, (_, i) => `${values.namespace}/key-${i}`));
});
await finished;
await controller?.stop();
client.close();
await tracing.shutdown().catch(() => undefined);
// Through the logger like every other line: one stream, so this is the last line (a second
// writer on stdout could overtake the logger's buffered lines, as it once did under load).
log.info({ done: true, reconciles: done }, 'soak done');
await new Promise<void>((resolve) => log.flush(() => resolve()));
