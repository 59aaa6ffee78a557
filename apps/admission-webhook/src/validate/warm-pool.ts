/**
 * The warm pool ceiling: spec.replicas may not exceed the pool's own spec.maxReplicas [ext]
 * or, without one, the cluster's; spec.maxReplicas itself may not exceed the cluster's (else
 * any user could lift the ceiling). The scale subresource is held to the same limits.
 */
import type { FieldError } from '@agent-sandbox/api';
import type { Policy } from '../policy/policy.ts';
import { recordAt } from '../util/json.ts';

function wholeNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

export interface PoolNumbers {
  replicas: unknown;
  maxReplicas: unknown;
}

/**
 * Problems with `replicas` given the pool's `maxReplicas` (undefined when unset); `via` says
 * whether the request came through the scale subresource. On an update only an increase is
 * judged (ratcheting): a pool made under a higher ceiling can still be edited or scaled down.
 */
export function ceilingErrors(next: PoolNumbers, previous: PoolNumbers | undefined, policy: Policy, via: 'spec' | 'scale'): FieldError[] {
  const errors: FieldError[] = [];
  const cluster = policy.warmPools.maxReplicas;
  const own = wholeNumber(next.maxReplicas);
  const increased = (now: number | undefined, before: unknown) => {
    const old = wholeNumber(before);
    return now !== undefined && (previous === undefined || old === undefined || now > old);
  };
  if (via === 'spec' && own !== undefined && own > cluster && increased(own, previous?.maxReplicas)) {
    errors.push({
      path: 'spec.maxReplicas',
      type: 'Invalid',
      value: String(own),
      detail: `must be no more than ${cluster}, the cluster's ceiling on warm pool replicas; lower it or ask an administrator to raise the ceiling`,
    });
  }
  const count = wholeNumber(next.replicas);
  // A new or changed maxReplicas is judged against the replicas it comes with.
  const maxChanged = own !== wholeNumber(previous?.maxReplicas);
  if (count === undefined || !(increased(count, previous?.replicas) || maxChanged)) return errors;
  const ceiling = own !== undefined && own < cluster ? own : cluster;
  if (count > ceiling) {
    const whose = own !== undefined && own < cluster ? "the pool's spec.maxReplicas" : "the cluster's ceiling on warm pool replicas";
    const advice = whose.startsWith('the pool') ? 'lower replicas or raise spec.maxReplicas' : 'lower replicas or ask an administrator to raise the ceiling';
    errors.push({
      path: 'spec.replicas',
      type: 'Invalid',
      value: String(count),
      detail: `must be no more than ${ceiling}, ${whose}${via === 'scale' ? ' (scale subresource)' : ''}; ${advice}`,
    });
  }
  return errors;
}

function numbers(object: unknown): PoolNumbers {
  const spec = recordAt(object, 'spec');
  return { replicas: spec?.replicas, maxReplicas: spec?.maxReplicas };
}

export function validateWarmPool(object: unknown, oldObject: unknown, policy: Policy): FieldError[] {
  return ceilingErrors(numbers(object), oldObject ? numbers(oldObject) : undefined, policy, 'spec');
}
