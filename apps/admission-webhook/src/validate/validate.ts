/** The validating webhook: every rule for the kind, all problems reported at once. */
import { isDeepStrictEqual } from 'node:util';
import type { FieldError, PodMetadata } from '@agent-sandbox/api';
import type { Policy } from '../policy/policy.ts';
import type { AdmissionRequest } from '../review/admission-review.ts';
import type { ReviewedKind } from '../review/kinds.ts';
import { recordAt } from '../util/json.ts';
import { validateClaim } from './claim.ts';
import { validatePodSpec } from './pod-spec.ts';
import { validateReservedKeys } from './reserved-keys.ts';
import { ceilingErrors, validateWarmPool } from './warm-pool.ts';

/**
 * A pool's spec.maxReplicas for a scale review: a number, undefined when unset, or
 * 'not-found'. Throws when the pool cannot be read.
 */
export type PoolCeilingLookup = (namespace: string, name: string) => Promise<number | undefined | 'not-found'>;

/**
 * The pod metadata of the template behind a claim's pool, for the rule that a claim may not
 * change a value the template sets: undefined when the pool or template does not exist (yet).
 * Throws when they cannot be read.
 */
export type ClaimTemplateLookup = (namespace: string, pool: string) => Promise<PodMetadata | undefined>;

export interface ValidateContext {
  policy: Policy;
  nowMs: () => number;
  /** Without it, a scale review is held to the cluster's ceiling only. */
  poolMaxReplicas?: PoolCeilingLookup;
  /** Without it (or when it fails), a claim's metadata is checked without the template's. */
  claimTemplateMetadata?: ClaimTemplateLookup;
}

export type Verdict = { errors: FieldError[] } | { unavailable: string };

const podSpecOf = (object: unknown) => recordAt(recordAt(recordAt(object, 'spec'), 'podTemplate'), 'spec');

export async function validate(kind: ReviewedKind, request: AdmissionRequest, ctx: ValidateContext): Promise<Verdict> {
  if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return { errors: [] };
  const { policy } = ctx;
  const object = request.object;
  const errors = validateReservedKeys(kind, request, policy);
  switch (kind) {
    case 'Sandbox':
    case 'SandboxTemplate': {
      const podSpec = podSpecOf(object);
      // Ratcheting, as Kubernetes validates: an update that leaves the pod spec as it was (the
      // ttl-reaper's expired-at, a claim's adoption) is not held to pod rules made since.
      if (request.operation === 'UPDATE' && isDeepStrictEqual(podSpec, podSpecOf(request.oldObject))) break;
      errors.push(...validatePodSpec(podSpec, 'spec.podTemplate.spec', policy));
      break;
    }
    case 'SandboxClaim':
      errors.push(...validateClaim(request, policy, ctx.nowMs(), await claimTemplate(request, ctx)));
      break;
    case 'SandboxWarmPool':
      errors.push(...validateWarmPool(object, request.operation === 'UPDATE' ? request.oldObject : undefined, policy));
      break;
    case 'Scale':
      return validateScale(request, ctx);
  }
  return { errors };
}

/**
 * The template's pod metadata when the claim adds pod metadata and a lookup is configured. A
 * failed read does not refuse the claim: the claim-controller applies the same rule later
 * (InvalidMetadata), so an API hiccup costs a late answer rather than a refused request.
 */
async function claimTemplate(request: AdmissionRequest, ctx: ValidateContext): Promise<PodMetadata | undefined> {
  const spec = recordAt(request.object, 'spec');
  const pool = recordAt(spec, 'warmPoolRef')?.name;
  const metadata = recordAt(spec, 'additionalPodMetadata');
  if (!ctx.claimTemplateMetadata || !metadata || typeof pool !== 'string' || !request.namespace) return undefined;
  // Unchanged by an update: not checked again (see validateClaim), so not looked up.
  if (request.operation === 'UPDATE' && isDeepStrictEqual(metadata, recordAt(recordAt(request.oldObject, 'spec'), 'additionalPodMetadata'))) return undefined;
  try {
    return await ctx.claimTemplateMetadata(request.namespace, pool);
  } catch {
    return undefined;
  }
}

async function validateScale(request: AdmissionRequest, ctx: ValidateContext): Promise<Verdict> {
  const replicas = recordAt(request.object, 'spec')?.replicas;
  const previous = request.oldObject ? { replicas: recordAt(request.oldObject, 'spec')?.replicas, maxReplicas: undefined } : undefined;
  // The cluster's ceiling needs no lookup; only a pool's own, lower ceiling does.
  const clusterErrors = ceilingErrors({ replicas, maxReplicas: undefined }, previous, ctx.policy, 'scale');
  if (clusterErrors.length > 0 || !ctx.poolMaxReplicas || typeof replicas !== 'number' || replicas === 0) return { errors: clusterErrors };
  let maxReplicas: number | undefined | 'not-found';
  try {
    maxReplicas = await ctx.poolMaxReplicas(request.namespace, request.name);
  } catch (err) {
    return {
      unavailable: `could not read SandboxWarmPool ${request.namespace}/${request.name} to check its spec.maxReplicas (${(err as Error).message}); try again`,
    };
  }
  if (maxReplicas === 'not-found' || maxReplicas === undefined) return { errors: [] };
  return {
    errors: ceilingErrors({ replicas, maxReplicas }, previous && { ...previous, maxReplicas }, ctx.policy, 'scale'),
  };
}
