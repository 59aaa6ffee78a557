/**
 * The mutating webhook: secure pod defaults on Sandboxes and SandboxTemplates, and the
 * webhook-first-observed-at stamp and (when absent) the trace-context annotation on new claims.
 */
import { TRACE_CONTEXT_ANNOTATION, WEBHOOK_FIRST_OBSERVED_AT_ANNOTATION } from '@agent-sandbox/api';
import type { Policy } from '../policy/policy.ts';
import type { AdmissionRequest } from '../review/admission-review.ts';
import { pointer, type JsonPatchOp } from '../review/json-patch.ts';
import type { ReviewedKind } from '../review/kinds.ts';
import { recordAt } from '../util/json.ts';
import { rfc3339Nano } from '../util/timestamp.ts';
import { podSpecDefaults, setDefault } from './pod-defaults.ts';

export interface MutateContext {
  policy: Policy;
  /** Nanoseconds since the epoch. */
  nowNs: () => bigint;
  /**
   * The trace-context annotation value for a new claim that carries none (the admission's own
   * span), so every claim starts a trace its reconciles join.
   */
  traceContext?: () => string;
}

export function mutate(kind: ReviewedKind, request: AdmissionRequest, ctx: MutateContext): JsonPatchOp[] {
  if (!request.object || (request.operation !== 'CREATE' && request.operation !== 'UPDATE')) return [];
  // Defaulting writes into the object as it goes (see setDefault); the request stays as sent.
  const object = structuredClone(request.object);
  const ops: JsonPatchOp[] = [];
  switch (kind) {
    case 'Sandbox':
    case 'SandboxTemplate': {
      const podSpec = recordAt(recordAt(recordAt(object, 'spec'), 'podTemplate'), 'spec');
      const namespace = request.namespace || (recordAt(object, 'metadata')?.namespace as string | undefined) || '';
      if (podSpec) podSpecDefaults(ops, podSpec, pointer('spec', 'podTemplate', 'spec'), ctx.policy, namespace);
      break;
    }
    case 'SandboxClaim': {
      if (request.operation !== 'CREATE') break;
      const metadata = recordAt(object, 'metadata');
      if (!metadata) break;
      // Always our own time: a value sent by the client would otherwise pass as the webhook's.
      const stamp = rfc3339Nano(ctx.nowNs());
      const annotations = recordAt(metadata, 'annotations');
      if (annotations && annotations[WEBHOOK_FIRST_OBSERVED_AT_ANNOTATION] !== undefined) {
        ops.push({ op: 'replace', path: pointer('metadata', 'annotations', WEBHOOK_FIRST_OBSERVED_AT_ANNOTATION), value: stamp });
      } else {
        setDefault(ops, object, '', ['metadata', 'annotations', WEBHOOK_FIRST_OBSERVED_AT_ANNOTATION], stamp);
      }
      // A client's own context (set by our SDKs) is kept as it is; only a missing one is added.
      if (ctx.traceContext && recordAt(metadata, 'annotations')?.[TRACE_CONTEXT_ANNOTATION] === undefined) {
        setDefault(ops, object, '', ['metadata', 'annotations', TRACE_CONTEXT_ANNOTATION], ctx.traceContext());
      }
      break;
    }
    case 'SandboxWarmPool':
    case 'Scale':
      break;
  }
  return ops;
}
