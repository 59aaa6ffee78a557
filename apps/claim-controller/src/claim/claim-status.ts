/** A claim's status from what it is bound to (or why it is not bound). */
import { ClaimMessage, ClaimReason, ConditionType, EXPIRED_AT_ANNOTATION, expiredAt, LEGACY_EXPIRED_CONDITION, SandboxReason, type SandboxClaimStatus } from '@agent-sandbox/api';
import { findCondition, removeCondition, setCondition, type Condition } from '@agent-sandbox/runtime';
import type { ClaimObject, SandboxObject } from '../kinds.ts';

export interface Unbound {
  reason: string;
  message: string;
}

export interface ClaimObservation {
  /** The bound Sandbox, if any. */
  sandbox?: SandboxObject;
  /** Without a sandbox: why the claim is not Ready. */
  unbound?: Unbound;
  /** Name to report when not bound to an existing Sandbox (a missing or pending one). */
  sandboxName?: string;
}

const conditionsOf = (obj: { status?: { conditions?: unknown } } | undefined) => obj?.status?.conditions as Condition[] | undefined;

/** Expired: the ttl-reaper's `expired-at` annotation (or, until it migrates it, its legacy condition). */
export function isExpired(obj: { metadata: { annotations?: Record<string, string> }; status?: { conditions?: unknown } } | undefined): boolean {
  return obj !== undefined && expiredAt(obj as Parameters<typeof expiredAt>[0]) !== undefined;
}

/**
 * The claim's status: Ready (the Sandbox's, forwarded, or a claim reason) and Finished
 * (mirrored), with the standard's messages. A legacy `Expired` condition is carried until the
 * ttl-reaper has moved it to its annotation, then dropped.
 */
export function computeClaimStatus(claim: ClaimObject, obs: ClaimObservation, now: Date = new Date()): SandboxClaimStatus {
  const generation = claim.metadata.generation;
  const gen = generation === undefined ? {} : { observedGeneration: generation };
  let conditions = conditionsOf(claim) ?? [];
  if (claim.metadata.annotations?.[EXPIRED_AT_ANNOTATION] !== undefined) conditions = removeCondition(conditions, LEGACY_EXPIRED_CONDITION);
  const { sandbox } = obs;
  let ready: Omit<Condition, 'lastTransitionTime'>;
  if (isExpired(claim)) {
    ready = { type: ConditionType.Ready, status: 'False', reason: ClaimReason.ClaimExpired, message: ClaimMessage.claimExpired };
  } else if (sandbox && isExpired(sandbox)) {
    ready = { type: ConditionType.Ready, status: 'False', reason: ClaimReason.SandboxExpired, message: ClaimMessage.sandboxExpired };
  } else if (sandbox) {
    const r = findCondition(conditionsOf(sandbox), ConditionType.Ready);
    ready = r
      ? { type: ConditionType.Ready, status: r.status, reason: r.reason || (r.status === 'True' ? SandboxReason.DependenciesReady : ClaimReason.SandboxNotReady), message: r.message }
      : { type: ConditionType.Ready, status: 'False', reason: ClaimReason.SandboxNotReady, message: ClaimMessage.sandboxNotReady };
  } else {
    const u = obs.unbound ?? { reason: ClaimReason.SandboxCreatePending, message: 'no sandbox yet' };
    ready = { type: ConditionType.Ready, status: 'False', reason: u.reason, message: u.message };
  }
  conditions = setCondition(conditions, { ...ready, ...gen }, now);
  const finished = sandbox ? findCondition(conditionsOf(sandbox), ConditionType.Finished) : undefined;
  if (finished) conditions = setCondition(conditions, { type: ConditionType.Finished, status: finished.status, reason: finished.reason, message: finished.message, ...gen }, now);

  const name = sandbox?.metadata.name ?? obs.sandboxName ?? (claim.status?.sandbox?.name || undefined);
  const podIPs = (sandbox?.status?.podIPs as string[] | undefined) ?? [];
  return {
    ...(name ? { sandbox: { name, ...(podIPs.length ? { podIPs } : {}) } } : {}),
    conditions,
  } as SandboxClaimStatus;
}

export function statusDiffers(current: SandboxClaimStatus | undefined, next: SandboxClaimStatus): boolean {
  const norm = (s: SandboxClaimStatus | undefined) => [
    s?.sandbox?.name ?? '',
    s?.sandbox?.podIPs ?? [],
    [...((s?.conditions as Condition[] | undefined) ?? [])].sort((a, b) => a.type.localeCompare(b.type)).map((c) => [c.type, c.status, c.reason, c.message, c.observedGeneration]),
  ];
  return JSON.stringify(norm(current)) !== JSON.stringify(norm(next));
}

/**
 * The JSON merge patch of `status` that takes `current` to `next`: `next` whole (a merge patch
 * replaces the conditions list), and null for what it no longer has (the Sandbox's pod IPs once
 * it has none, or is gone), which a merge patch would otherwise leave in place.
 */
export function claimStatusPatch(current: SandboxClaimStatus | undefined, next: SandboxClaimStatus): Record<string, unknown> {
  const patch: Record<string, unknown> = { ...next, conditions: next.conditions ?? [] };
  if (current?.sandbox && !next.sandbox) patch.sandbox = null;
  else if (current?.sandbox?.podIPs && next.sandbox && !next.sandbox.podIPs) patch.sandbox = { ...next.sandbox, podIPs: null };
  return patch;
}
