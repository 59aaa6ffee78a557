import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';

export interface TracingOptions {
  /** `service.name` unless OTEL_SERVICE_NAME says otherwise. */
  serviceName: string;
  serviceVersion?: string;
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Export to this instead of what the environment names, synchronously span by span
   * (tests pass an in-memory exporter).
   */
  exporter?: SpanExporter;
}

export interface Tracing {
  /** False when nothing is exported: spans are then non-recording and cost next to nothing. */
  readonly enabled: boolean;
  tracer(name?: string): Tracer;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Whether the standard OTEL_* variables ask for an OTLP exporter: OTEL_SDK_DISABLED and
 * OTEL_TRACES_EXPORTER=none switch it off, and without an endpoint there is nowhere to send.
 */
export function otlpRequested(env: Readonly<Record<string, string | undefined>>): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? 'otlp').split(',').map((s) => s.trim().toLowerCase());
  if (exporters.includes('none') || !exporters.includes('otlp')) return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT);
}

let installed: Tracing | undefined;

/**
 * Installs the process-wide tracer provider, context manager and W3C propagator. The OTLP
 * exporter reads its endpoint, headers and protocol options from OTEL_EXPORTER_OTLP_* itself.
 * A second call returns the first installation: the OpenTelemetry globals are set once.
 */
export function setupTracing(options: TracingOptions): Tracing {
  if (installed) return installed;
  const env = options.env ?? process.env;
  const processors: SpanProcessor[] = [];
  if (options.exporter) processors.push(new SimpleSpanProcessor({ exporter: options.exporter }));
  else if (otlpRequested(env)) processors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }));

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());

  if (processors.length === 0) {
    installed = {
      enabled: false,
      tracer: (name = options.serviceName) => trace.getTracer(name),
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    return installed;
  }

  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': env.OTEL_SERVICE_NAME || options.serviceName,
      ...(options.serviceVersion ? { 'service.version': options.serviceVersion } : {}),
    }),
    spanProcessors: processors,
  });
  trace.setGlobalTracerProvider(provider);
  installed = {
    enabled: true,
    tracer: (name = options.serviceName) => trace.getTracer(name, options.serviceVersion),
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
  return installed;
}
