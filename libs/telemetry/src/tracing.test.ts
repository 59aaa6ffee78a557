import { ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { SamplingDecision, type Sampler, type SpanExporter } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { samplerFromEnv } from './tracing-sdk.ts';
import { batchOptionsFromEnv, ReportingExporter, resourceAttributesFromEnv } from './tracing.ts';

/** Decisions of `sampler` for `n` root spans with evenly spread trace ids. */
function sampledShare(sampler: Sampler, n = 400): number {
  let sampled = 0;
  for (let i = 0; i < n; i++) {
    // The ratio sampler looks at the trace id's leading bits: spread them over the whole range.
    const traceId = Math.floor((i / n) * 0xffffffff).toString(16).padStart(8, '0') + '0'.repeat(24);
    const result = sampler.shouldSample(ROOT_CONTEXT, traceId, 'reconcile', SpanKind.INTERNAL, {}, []);
    if (result.decision === SamplingDecision.RECORD_AND_SAMPLED) sampled++;
  }
  return sampled / n;
}

function childOfSampledParent(sampler: Sampler): SamplingDecision {
  const parent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: 'f'.repeat(32),
    spanId: '1'.repeat(16),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
  return sampler.shouldSample(parent, 'f'.repeat(32), 'reconcile', SpanKind.INTERNAL, {}, []).decision;
}

describe('samplerFromEnv', () => {
  it('samples everything by default, following a sampled parent', () => {
    const sampler = samplerFromEnv({});
    expect(sampledShare(sampler)).toBe(1);
    expect(sampler.toString()).toMatch(/ParentBased/);
  });

  it('samples the share OTEL_TRACES_SAMPLER_ARG gives to a ratio sampler', () => {
    const share = sampledShare(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }));
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.3);
  });

  it('keeps a sampled parent\'s decision under parentbased_traceidratio, whatever the ratio', () => {
    const sampler = samplerFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
    expect(sampledShare(sampler)).toBe(0);
    expect(childOfSampledParent(sampler)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it('samples nothing with always_off', () => {
    expect(sampledShare(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'always_off' }))).toBe(0);
  });

  it('takes a ratio that is not a number in 0..1 as 1, and an unknown sampler as the default', () => {
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: 'half' }).toString()).toBe('TraceIdRatioBased{1}');
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '7' }).toString()).toBe('TraceIdRatioBased{1}');
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'TraceIdRatio', OTEL_TRACES_SAMPLER_ARG: '0.5' }).toString()).toBe('TraceIdRatioBased{0.5}');
    expect(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'jaeger_remote' }).toString()).toMatch(/ParentBased\{root=AlwaysOnSampler/);
  });
});

describe('resourceAttributesFromEnv', () => {
  it('reads key=value pairs, percent-decoded, skipping malformed entries', () => {
    expect(
      resourceAttributesFromEnv({
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod, k8s.cluster.name=eu%2C1,novalue,=x,bad=%E0%A4%A',
      }),
    ).toEqual({ 'deployment.environment': 'prod', 'k8s.cluster.name': 'eu,1' });
    expect(resourceAttributesFromEnv({})).toEqual({});
  });
});

describe('batchOptionsFromEnv', () => {
  it('reads the OTEL_BSP_* bounds, ignoring what is not a positive number', () => {
    expect(batchOptionsFromEnv({ OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_BSP_MAX_QUEUE_SIZE: '512', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '64', OTEL_BSP_EXPORT_TIMEOUT: '1000' })).toEqual({
      scheduledDelayMillis: 200,
      maxQueueSize: 512,
      maxExportBatchSize: 64,
      exportTimeoutMillis: 1000,
    });
    expect(batchOptionsFromEnv({ OTEL_BSP_SCHEDULE_DELAY: 'soon', OTEL_BSP_MAX_QUEUE_SIZE: '-1', OTEL_BSP_EXPORT_TIMEOUT: '' })).toEqual({});
  });
});

describe('ReportingExporter', () => {
  it('reports a change between failing and working once, not per batch', () => {
    let fail = true;
    const inner: SpanExporter = {
      export: (_spans, done) => done(fail ? { code: ExportResultCode.FAILED, error: new Error('connect ECONNREFUSED') } : { code: ExportResultCode.SUCCESS }),
      shutdown: async () => {},
    };
    const events: Array<{ failing: boolean; error?: string }> = [];
    const exporter = new ReportingExporter(inner, (e) => events.push(e));
    const results: number[] = [];
    for (let i = 0; i < 5; i++) exporter.export([], (r) => results.push(r.code));
    fail = false;
    for (let i = 0; i < 3; i++) exporter.export([], (r) => results.push(r.code));
    fail = true;
    exporter.export([], (r) => results.push(r.code));
    expect(events).toEqual([{ failing: true, error: 'connect ECONNREFUSED' }, { failing: false }, { failing: true, error: 'connect ECONNREFUSED' }]);
    expect(exporter.failedBatches).toBe(6);
    // The processor still hears each batch's own result.
    expect(results).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 1]);
  });
});
