import { context, propagation, ROOT_CONTEXT, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

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
  /**
   * Told once when exports start failing (the collector is unreachable: spans are dropped,
   * the program goes on) and once when they succeed again; never per span.
   */
  onExportTrouble?: (event: { failing: boolean; error?: string }) => void;
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

type Env = Readonly<Record<string, string | undefined>>;

/**
 * OTEL_RESOURCE_ATTRIBUTES (`key=value,key=value`, values percent-encoded) as attributes; a
 * malformed entry is skipped rather than failing the program.
 */
export function resourceAttributesFromEnv(env: Env): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const entry of (env.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',')) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    try {
      attributes[decodeURIComponent(entry.slice(0, eq).trim())] = decodeURIComponent(entry.slice(eq + 1).trim());
    } catch {
      // Bad percent-encoding: skip this entry.
    }
  }
  return attributes;
}

/**
 * The batch processor's bounds from the standard OTEL_BSP_* variables (the SDK no longer
 * reads them itself). The queue is bounded: with the collector down, at most
 * OTEL_BSP_MAX_QUEUE_SIZE spans wait, the rest are dropped.
 */
export function batchOptionsFromEnv(env: Env): { scheduledDelayMillis?: number; maxQueueSize?: number; maxExportBatchSize?: number; exportTimeoutMillis?: number } {
  const positive = (name: string) => {
    const n = Number(env[name] ?? '');
    return env[name] && Number.isFinite(n) && n > 0 ? Math.floor(n) : undefined;
  };
  const out: ReturnType<typeof batchOptionsFromEnv> = {};
  const delay = positive('OTEL_BSP_SCHEDULE_DELAY');
  const queue = positive('OTEL_BSP_MAX_QUEUE_SIZE');
  const batch = positive('OTEL_BSP_MAX_EXPORT_BATCH_SIZE');
  const timeout = positive('OTEL_BSP_EXPORT_TIMEOUT');
  if (delay !== undefined) out.scheduledDelayMillis = delay;
  if (queue !== undefined) out.maxQueueSize = queue;
  if (batch !== undefined) out.maxExportBatchSize = batch;
  if (timeout !== undefined) out.exportTimeoutMillis = timeout;
  return out;
}

/**
 * An exporter that reports a change between working and failing once, not per batch: a
 * program whose collector is down logs one warning and goes on (its spans are dropped).
 */
export class ReportingExporter implements SpanExporter {
  readonly #inner: SpanExporter;
  readonly #report: (event: { failing: boolean; error?: string }) => void;
  #failing = false;
  /** Batches that could not be exported (their spans are lost). */
  failedBatches = 0;

  constructor(inner: SpanExporter, report: (event: { failing: boolean; error?: string }) => void) {
    this.#inner = inner;
    // Reported outside any trace: the batch's timer may have been armed inside a reconcile,
    // whose trace the warning has nothing to do with.
    this.#report = (event) => context.with(ROOT_CONTEXT, () => report(event));
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.#inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) {
        if (this.#failing) {
          this.#failing = false;
          this.#report({ failing: false });
        }
      } else {
        this.failedBatches++;
        if (!this.#failing) {
          this.#failing = true;
          this.#report({ failing: true, error: result.error?.message ?? 'export failed' });
        }
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.() ?? Promise.resolve();
  }
}

let installed: Promise<Tracing> | undefined;

/**
 * Installs the process-wide context manager and W3C propagator (so a trace context read from
 * an object is carried on to what a reconcile writes, traced here or not) and, when spans are
 * exported (OTEL_* variables, or `options.exporter`), the tracer provider. The SDK and the
 * OTLP exporter are loaded only then: a program that exports nothing does not carry them.
 * A second call returns the first installation: the OpenTelemetry globals are set once.
 */
export function setupTracing(options: TracingOptions): Promise<Tracing> {
  installed ??= install(options);
  return installed;
}

async function install(options: TracingOptions): Promise<Tracing> {
  const env = options.env ?? process.env;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  if (!options.exporter && !otlpRequested(env)) {
    return {
      enabled: false,
      tracer: (name = options.serviceName) => trace.getTracer(name),
      forceFlush: async () => {},
      shutdown: async () => {},
    };
  }
  const { installTracerProvider } = await import('./tracing-sdk.ts');
  return installTracerProvider(options, env, resourceAttributesFromEnv(env));
}
