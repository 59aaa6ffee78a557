import { ConditionType, type SandboxClaim, type Sandbox } from '@agent-sandbox/api';

/** Why a deadline came: the reason of the Events the reaper records when it acts. */
export const DeadlineReason = {
  ShutdownTimeReached: 'ShutdownTimeReached',
  TTLAfterFinishedReached: 'TTLAfterFinishedReached',
} as const;

export interface Deadline {
  /** Milliseconds since the epoch. */
  at: number;
  /** Why it comes (DeadlineReason). */
  reason: string;
}

function parseTime(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** A Sandbox expires at `spec.shutdownTime`; without one it never does. */
export function sandboxDeadline(sandbox: Pick<Sandbox, 'spec'>): Deadline | undefined {
  const at = parseTime(sandbox.spec?.shutdownTime);
  return at === undefined ? undefined : { at, reason: DeadlineReason.ShutdownTimeReached };
}

/**
 * A claim expires at `lifecycle.shutdownTime` or `ttlSecondsAfterFinished` after its sandbox
 * Finished (the `Finished=True` condition's transition time), whichever comes first.
 */
export function claimDeadline(claim: Pick<SandboxClaim, 'spec' | 'status'>): Deadline | undefined {
  const lifecycle = claim.spec?.lifecycle;
  const candidates: Deadline[] = [];
  const shutdown = parseTime(lifecycle?.shutdownTime);
  if (shutdown !== undefined) candidates.push({ at: shutdown, reason: DeadlineReason.ShutdownTimeReached });
  const ttl = lifecycle?.ttlSecondsAfterFinished;
  if (ttl !== undefined) {
    const finished = claim.status?.conditions?.find((c) => c.type === ConditionType.Finished && c.status === 'True');
    const finishedAt = parseTime(finished?.lastTransitionTime);
    if (finishedAt !== undefined) candidates.push({ at: finishedAt + ttl * 1000, reason: DeadlineReason.TTLAfterFinishedReached });
  }
  return candidates.sort((a, b) => a.at - b.at)[0];
}
