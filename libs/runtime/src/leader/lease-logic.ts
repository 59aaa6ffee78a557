/** The `spec` of a coordination.k8s.io/v1 Lease as leader election reads and writes it. */
export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number | null;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number | null;
}

/**
 * What a candidate saw of the lease and when (by its own clock): expiry is judged from the
 * moment the record last changed as observed here, never from timestamps written by another
 * machine's clock (client-go does the same).
 */
export interface Observation {
  holder: string;
  renewTime: string;
  durationMs: number;
  /** Local time the holder or renewTime last changed. */
  observedAt: number;
}

export type LeaseAction = 'create' | 'acquire' | 'renew' | 'wait';

export function observe(previous: Observation | undefined, spec: LeaseSpec | undefined, now: number): Observation | undefined {
  if (!spec) return undefined;
  const holder = spec.holderIdentity ?? '';
  const renewTime = spec.renewTime ?? '';
  const durationMs = (spec.leaseDurationSeconds ?? 0) * 1000;
  if (previous && previous.holder === holder && previous.renewTime === renewTime && previous.durationMs === durationMs) return previous;
  return { holder, renewTime, durationMs, observedAt: now };
}

/** What a candidate should do next, given the lease as observed. */
export function decide(observed: Observation | undefined, leaseExists: boolean, identity: string, now: number): LeaseAction {
  if (!leaseExists || !observed) return 'create';
  if (observed.holder === identity) return 'renew';
  if (observed.holder === '') return 'acquire';
  return now >= observed.observedAt + observed.durationMs ? 'acquire' : 'wait';
}

/** Milliseconds until an observed foreign lease expires (0 if it already has). */
export function untilExpiry(observed: Observation | undefined, now: number): number {
  if (!observed || observed.holder === '') return 0;
  return Math.max(0, observed.observedAt + observed.durationMs - now);
}

/** The spec to write for an action; `current` is the spec read just before. */
export function nextSpec(action: 'create' | 'acquire' | 'renew', current: LeaseSpec | undefined, identity: string, durationMs: number, now: Date): LeaseSpec {
  const at = toMicroTime(now);
  const durationSeconds = Math.max(1, Math.ceil(durationMs / 1000));
  if (action === 'renew') return { ...current, holderIdentity: identity, leaseDurationSeconds: durationSeconds, renewTime: at };
  const transitions = current?.leaseTransitions ?? 0;
  const changed = action === 'acquire' && (current?.holderIdentity ?? '') !== identity;
  return {
    holderIdentity: identity,
    leaseDurationSeconds: durationSeconds,
    acquireTime: at,
    renewTime: at,
    leaseTransitions: changed ? transitions + 1 : transitions,
  };
}

/** The spec that gives the lease up at once: no holder, so a standby acquires on sight. */
export function releasedSpec(current: LeaseSpec | undefined, now: Date): LeaseSpec {
  const at = toMicroTime(now);
  return { ...current, holderIdentity: null, leaseDurationSeconds: 1, acquireTime: at, renewTime: at };
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function toMicroTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
