import { context, propagation, ROOT_CONTEXT, trace, type Context, type SpanContext } from '@opentelemetry/api';

/**
 * The annotation that carries a trace across programs: a JSON object of W3C trace-context
 * headers, e.g. `{"traceparent":"00-…-…-01","tracestate":"…"}`. A client sets it on what it
 * creates; every reconcile of that object joins the trace, and writes it on what it creates.
 */
export const TRACE_CONTEXT_ANNOTATION = 'opentelemetry.io/trace-context';

interface Annotated {
  metadata?: { annotations?: Record<string, string> | undefined } | undefined;
}

/** The remote span context named by an object's annotation, if it names a valid one. */
export function spanContextFromObject(obj: Annotated | undefined): SpanContext | undefined {
  const raw = obj?.metadata?.annotations?.[TRACE_CONTEXT_ANNOTATION];
  if (!raw) return undefined;
  let carrier: unknown;
  try {
    carrier = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!carrier || typeof carrier !== 'object') return undefined;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(carrier)) if (typeof v === 'string') headers[k.toLowerCase()] = v;
  const extracted = propagation.extract(ROOT_CONTEXT, headers);
  const spanContext = trace.getSpanContext(extracted);
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** The annotation value for a context (the active one by default); undefined without a valid span. */
export function traceContextAnnotation(ctx: Context = context.active()): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  if (!carrier.traceparent) return undefined;
  const value: Record<string, string> = { traceparent: carrier.traceparent };
  if (carrier.tracestate) value.tracestate = carrier.tracestate;
  return JSON.stringify(value);
}

/**
 * Returns `obj` with the active trace context written into its annotations, for objects a
 * reconcile creates, so their own reconciles join the same trace. Unchanged without a span.
 */
export function withTraceContext<T extends Annotated>(obj: T, ctx: Context = context.active()): T {
  const value = traceContextAnnotation(ctx);
  if (!value) return obj;
  const metadata = { ...(obj.metadata ?? {}) };
  metadata.annotations = { ...(metadata.annotations ?? {}), [TRACE_CONTEXT_ANNOTATION]: value };
  return { ...obj, metadata };
}
