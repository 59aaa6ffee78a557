/**
 * Expiry as the ttl-reaper hands it over: the annotation `agents.x-k8s.io/expired-at` [ext].
 * Objects expired by an earlier version carry an `Expired` condition in their status instead;
 * until the ttl-reaper has moved that to the annotation, it counts as the same fact.
 */
import { EXPIRED_AT_ANNOTATION } from './keys.ts';

/** The condition type an earlier version of the ttl-reaper wrote into `status` (no longer written). */
export const LEGACY_EXPIRED_CONDITION = 'Expired';

interface Expirable {
  metadata: { annotations?: Record<string, string> };
  status?: { conditions?: ReadonlyArray<{ type: string; status: string; lastTransitionTime?: string }> };
}

/** The legacy `Expired=True` condition of an object the ttl-reaper has not migrated yet. */
export function legacyExpiredCondition<T extends Expirable>(obj: T): NonNullable<NonNullable<T['status']>['conditions']>[number] | undefined {
  if (obj.metadata.annotations?.[EXPIRED_AT_ANNOTATION] !== undefined) return undefined;
  return obj.status?.conditions?.find((c) => c.type === LEGACY_EXPIRED_CONDITION && c.status === 'True');
}

/** When the object expired (RFC 3339), or undefined while it has not. */
export function expiredAt(obj: Expirable): string | undefined {
  const annotated = obj.metadata.annotations?.[EXPIRED_AT_ANNOTATION];
  if (annotated !== undefined) return annotated;
  const legacy = legacyExpiredCondition(obj);
  return legacy ? (legacy.lastTransitionTime ?? '') : undefined;
}

export const isExpired = (obj: Expirable): boolean => expiredAt(obj) !== undefined;
