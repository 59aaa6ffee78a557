/**
 * A controller of the project's runtime, traced as a program is (setupTracing from the OTEL_*
 * variables, the one-warning reporter), reconciling `--reconciles` keys: each pass reads one
 * ConfigMap from the real API server, so each makes a reconcile span and a client span. Heap
 * (after a full GC) is printed as JSON lines every `--every` reconciles; the last line is
 * `{"done":true,…}`. Run with --expose-gc by the bad-endpoint test.
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
    concurrency: 4,
    reconcile: async (_req, ctx) => {
      await client.get(Kinds.ConfigMap, { namespace: values.namespace!, name: values.name! }, { signal: ctx.signal });
      done++;
      if (done % every === 0) {
        gc();
        process.stdout.write(JSON.stringify({ reconciles: done, heapUsed: process.memoryUsage().heapUsed, rss: process.memoryUsage().rss }) + '\n');
      }
      if (done === total) resolve();
    },
  });
  controller.start(Array.from({ length: total }, (_, i) => `${values.namespace}/key-${i}`));
});
await finished;
await controller?.stop();
client.close();
process.stdout.write(JSON.stringify({ done: true, reconciles: done }) + '\n');
await tracing.shutdown().catch(() => undefined);
log.flush();
