/**
 * The OpenTelemetry SDK part of tracing: loaded by setupTracing only when spans are exported.
 */
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { batchOptionsFromEnv, ReportingExporter, type Tracing, type TracingOptions } from './tracing.ts';

export { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';

type Env = Readonly<Record<string, string | undefined>>;

/** The samplers OTEL_TRACES_SAMPLER may name (the SDK specification's list, minus Jaeger's remote one). */
export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/**
 * The sampler the standard OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG variables ask for
 * (the JavaScript SDK no longer reads them itself). Default `parentbased_always_on`; a ratio
 * outside 0..1 or not a number is 1, and an unknown sampler name is the default, as the
 * specification says.
 */
export function samplerFromEnv(env: Env): Sampler {
  const name = (env.OTEL_TRACES_SAMPLER ?? '').trim().toLowerCase() || 'parentbased_always_on';
  const arg = Number(env.OTEL_TRACES_SAMPLER_ARG ?? '');
  const ratio = () => new TraceIdRatioBasedSampler(env.OTEL_TRACES_SAMPLER_ARG && arg >= 0 && arg <= 1 ? arg : 1);
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** The tracer provider, set as the global one, exporting to `options.exporter` or by OTLP. */
export function installTracerProvider(options: TracingOptions, env: Env, fromEnv: Record<string, string>): Tracing {
  const processors: SpanProcessor[] = [];
  if (options.exporter) processors.push(new SimpleSpanProcessor({ exporter: options.exporter }));
  else {
    const otlp = new OTLPTraceExporter();
    const exporter = options.onExportTrouble ? new ReportingExporter(otlp, options.onExportTrouble) : otlp;
    processors.push(new BatchSpanProcessor({ exporter, ...batchOptionsFromEnv(env) }));
  }
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      ...fromEnv,
      // OTEL_SERVICE_NAME wins over OTEL_RESOURCE_ATTRIBUTES, which wins over the program's name.
      'service.name': env.OTEL_SERVICE_NAME || fromEnv['service.name'] || options.serviceName,
      ...(options.serviceVersion ? { 'service.version': options.serviceVersion } : {}),
    }),
    sampler: samplerFromEnv(env),
    spanProcessors: processors,
  });
  trace.setGlobalTracerProvider(provider);
  return {
    enabled: true,
    tracer: (name = options.serviceName) => trace.getTracer(name, options.serviceVersion),
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
