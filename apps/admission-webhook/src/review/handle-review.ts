/**
 * One AdmissionReview in, one out: parse (a malformed body throws MalformedReview, answered
 * with 400), decide by kind, and say what happened for metrics and logs.
 */
import { randomBytes } from 'node:crypto';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import type { FieldError } from '@agent-sandbox/api';
import { spanContextFromObject, traceContextAnnotation } from '@agent-sandbox/telemetry';
import { mutate } from '../mutate/mutate.ts';
import type { Policy } from '../policy/policy.ts';
import { validate, type ClaimTemplateLookup, type PoolCeilingLookup } from '../validate/validate.ts';
import {
  allow,
  deny,
  denyWithMessage,
  parseAdmissionReview,
  reviewResponse,
  type AdmissionRequest,
  type AdmissionReviewResponse,
} from './admission-review.ts';
import { reviewedKind } from './kinds.ts';

export type WebhookKind = 'mutate' | 'validate';
export type ReviewVerdict = 'allowed' | 'patched' | 'denied' | 'unavailable' | 'ignored' | 'error';

export interface ReviewContext {
  /** The policy now in force (it may be reloaded between reviews). */
  policy: () => Policy;
  nowNs: () => bigint;
  poolMaxReplicas?: PoolCeilingLookup;
  claimTemplateMetadata?: ClaimTemplateLookup;
  /** Spans of reviews of our kinds (default: the global tracer, a no-op without tracing). */
  tracer?: Tracer;
}

export interface ReviewOutcome {
  review: AdmissionReviewResponse;
  /** For metrics: our kind name, or the request's kind when it is not ours. */
  kind: string;
  operation: string;
  verdict: ReviewVerdict;
  /** The refused fields (paths and rule types, never values): safe to log. */
  refused?: string[];
  error?: Error;
  request: AdmissionRequest;
}

/**
 * The annotation value naming `span` as the parent of what follows; a fresh random context when
 * tracing is off here (the span is then not recording), so a claim still starts its own trace
 * for the controllers that do trace.
 */
function annotationFor(span: Span): string {
  const named = trace.isSpanContextValid(span.spanContext()) ? traceContextAnnotation(trace.setSpan(ROOT_CONTEXT, span)) : undefined;
  return named ?? JSON.stringify({ traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` });
}

export async function handleReview(webhook: WebhookKind, body: unknown, ctx: ReviewContext): Promise<ReviewOutcome> {
  const request = parseAdmissionReview(body);
  const kind = reviewedKind(request);
  const base = { kind: kind ?? request.kind.kind, operation: request.operation, request };
  if (!kind) return { ...base, review: reviewResponse(allow(request.uid)), verdict: 'ignored' };

  // One span per review of our kinds, in the trace the object names (a claim from our SDKs).
  const remote = spanContextFromObject(request.object as { metadata?: { annotations?: Record<string, string> } } | undefined);
  const span = (ctx.tracer ?? trace.getTracer('admission-webhook')).startSpan(
    `admission ${webhook} ${kind}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'k8s.namespace.name': request.namespace,
        'k8s.object.name': request.name,
        'k8s.kind': kind,
        'admission.operation': request.operation,
        'admission.uid': request.uid,
      },
    },
    remote ? trace.setSpanContext(ROOT_CONTEXT, remote) : ROOT_CONTEXT,
  );
  const outcome = await review(webhook, kind, request, base, span, ctx);
  span.setAttribute('admission.verdict', outcome.verdict);
  if (outcome.refused) span.setAttribute('admission.refused', outcome.refused);
  span.setStatus(outcome.verdict === 'error' ? { code: SpanStatusCode.ERROR, message: outcome.error?.message ?? '' } : { code: SpanStatusCode.OK });
  span.end();
  return outcome;
}

async function review(
  webhook: WebhookKind,
  kind: NonNullable<ReturnType<typeof reviewedKind>>,
  request: AdmissionRequest,
  base: Pick<ReviewOutcome, 'kind' | 'operation' | 'request'>,
  span: Span,
  ctx: ReviewContext,
): Promise<ReviewOutcome> {
  const policy = ctx.policy();
  try {
    if (webhook === 'mutate') {
      const patch = mutate(kind, request, { policy, nowNs: ctx.nowNs, traceContext: () => annotationFor(span) });
      return { ...base, review: reviewResponse(allow(request.uid, patch)), verdict: patch.length > 0 ? 'patched' : 'allowed' };
    }
    const verdict = await validate(kind, request, {
      policy,
      nowMs: () => Number(ctx.nowNs() / 1_000_000n),
      ...(ctx.poolMaxReplicas ? { poolMaxReplicas: ctx.poolMaxReplicas } : {}),
      ...(ctx.claimTemplateMetadata ? { claimTemplateMetadata: ctx.claimTemplateMetadata } : {}),
    });
    if ('unavailable' in verdict) {
      return { ...base, review: reviewResponse(denyWithMessage(request.uid, 503, 'ServiceUnavailable', verdict.unavailable)), verdict: 'unavailable' };
    }
    if (verdict.errors.length === 0) return { ...base, review: reviewResponse(allow(request.uid)), verdict: 'allowed' };
    return { ...base, review: reviewResponse(deny(request.uid, verdict.errors)), verdict: 'denied', refused: summarize(verdict.errors) };
  } catch (err) {
    // A bug must not become a 500 (the API server would show an opaque failure): refuse
    // this one object with a message, and count it.
    const message = `internal error in the admission webhook while reviewing this ${kind}: ${(err as Error).message}`;
    return { ...base, review: reviewResponse(denyWithMessage(request.uid, 500, 'InternalError', message)), verdict: 'error', error: err as Error };
  }
}

function summarize(errors: readonly FieldError[]): string[] {
  return errors.map((e) => `${e.path}: ${e.type}`);
}
