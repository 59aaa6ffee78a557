/**
 * Jaeger as the local cluster and the tracing tests run it: built from its pinned module,
 * on loopback, OTLP/HTTP in from the same exporter the programs use, the query API out, and a
 * stop that leaves no process and no port behind.
 */
import { trace, ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { portInUse } from '@agent-sandbox/cache';
import { fetchServices, fetchTrace, renderTrace } from './jaeger-query.ts';
import { startJaeger } from './jaeger.ts';

describe('jaeger', () => {
  it('takes OTLP spans on loopback, answers them by trace id, and stops clean', async () => {
    const jaeger = await startJaeger();
    try {
      expect(jaeger.queryUrl).toBe(`http://127.0.0.1:${jaeger.ports.queryHttp}`);
      const provider = new TracerProvider({
        resource: resourceFromAttributes({ 'service.name': 'jaeger-test' }),
        spanProcessors: [new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${jaeger.otlpHttpEndpoint}/v1/traces` }) })],
      });
      const tracer = provider.getTracer('test');
      const parent = tracer.startSpan('parent', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
      const child = tracer.startSpan('child', { attributes: { 'k8s.namespace.name': 'ns' } }, trace.setSpan(ROOT_CONTEXT, parent));
      child.addEvent('adoption lost', { 'agent_sandbox.sandbox.name': 's1' });
      child.end();
      parent.end();
      await provider.forceFlush();
      const traceId = parent.spanContext().traceId;
      let spans = await fetchTrace(jaeger.queryUrl, traceId);
      for (let i = 0; i < 50 && spans.length < 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
        spans = await fetchTrace(jaeger.queryUrl, traceId);
      }
      await provider.shutdown();
      expect(spans.map((s) => s.name).sort()).toEqual(['child', 'parent']);
      const c = spans.find((s) => s.name === 'child')!;
      expect(c.parentSpanId).toBe(parent.spanContext().spanId);
      expect(c.service).toBe('jaeger-test');
      expect(c.attributes['k8s.namespace.name']).toBe('ns');
      expect(c.events).toEqual([{ name: 'adoption lost', attributes: { 'agent_sandbox.sandbox.name': 's1' } }]);
      expect(await fetchServices(jaeger.queryUrl)).toContain('jaeger-test');
      expect(renderTrace(spans)).toMatch(/jaeger-test: parent\n.* {2}jaeger-test: child/);
      expect(await fetchTrace(jaeger.queryUrl, 'f'.repeat(32))).toEqual([]);
    } finally {
      await jaeger.stop();
    }
    for (const port of Object.values(jaeger.ports)) expect(await portInUse(port)).toBe(false);
  }, 900_000);
});
