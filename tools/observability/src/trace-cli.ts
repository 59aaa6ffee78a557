/**
 * `npm run trace -- [--query URL] [-n NAMESPACE] <claim name | trace id>`: a claim's trace, read
 * from Jaeger's query API and printed as a tree (program, span, status), for a terminal beside
 * `npm start -- --tracing`. A claim's trace id comes from its trace-context annotation (set by
 * the SDKs, or by the admission webhook when absent).
 */
import { parseArgs } from 'node:util';
import { SANDBOX_CLAIM, TRACE_CONTEXT_ANNOTATION } from '@agent-sandbox/api';
import { KubeClient, loadKubeConfig, type KubeObject } from '@agent-sandbox/runtime';
import { fetchTrace, renderTrace } from './jaeger-query.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    query: { type: 'string', default: 'http://127.0.0.1:16686' },
    namespace: { type: 'string', short: 'n', default: 'default' },
    kubeconfig: { type: 'string', default: '' },
    help: { type: 'boolean', short: 'h' },
  },
});
const target = positionals[0];
if (values.help || !target) {
  process.stdout.write('Usage: npm run trace -- [--query http://127.0.0.1:16686] [-n namespace] [--kubeconfig FILE] <claim name | 32-hex trace id>\n');
  process.exit(values.help ? 0 : 2);
}

let traceId = target;
if (!/^[0-9a-f]{32}$/.test(target)) {
  const client = new KubeClient(await loadKubeConfig(values.kubeconfig));
  const obj = await client.get<KubeObject>(SANDBOX_CLAIM, { namespace: values.namespace, name: target });
  client.close();
  const raw = obj.metadata.annotations?.[TRACE_CONTEXT_ANNOTATION];
  const parent = raw ? (JSON.parse(raw) as { traceparent?: string }).traceparent : undefined;
  if (!parent) {
    process.stderr.write(`claim ${values.namespace}/${target} has no ${TRACE_CONTEXT_ANNOTATION} annotation\n`);
    process.exit(1);
  }
  traceId = parent.split('-')[1]!;
}
const spans = await fetchTrace(values.query, traceId);
if (spans.length === 0) {
  process.stderr.write(`no spans for trace ${traceId} at ${values.query}\n`);
  process.exit(1);
}
process.stdout.write(`trace ${traceId} (${spans.length} spans; ${values.query}/api/traces/${traceId})\n${renderTrace(spans)}\n`);
