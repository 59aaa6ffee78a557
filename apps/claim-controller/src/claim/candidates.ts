/**
 * Which pool members a claim tries, in which order. Every worker (in every replica) starts at
 * a point given by the hash of its claim's uid, so concurrent claims spread over the members
 * instead of all racing for the first one.
 */
import { ConditionType, fnv1a32, isFreshMember } from '@agent-sandbox/api';
import { findCondition, type Condition } from '@agent-sandbox/runtime';
import type { SandboxObject } from '../kinds.ts';

export function isReady(sandbox: { status?: { conditions?: unknown } }): boolean {
  return findCondition(sandbox.status?.conditions as Condition[] | undefined, ConditionType.Ready)?.status === 'True';
}

export interface CandidateFilter {
  /**
   * Under Recreate (and RollingUpdate), stale members are never handed out: only those made
   * from `templateName` as it is now (`hash`: its templateHash).
   */
  fresh?: { templateName: string; hash: string };
  /** Members this process is adopting right now, or took at the resourceVersion the cache still shows. */
  skip: (sandbox: SandboxObject) => boolean;
}

/** Ready, not terminating, not stale where that matters, not skipped. */
export function eligible(sandbox: SandboxObject, filter: CandidateFilter): boolean {
  if (sandbox.metadata.deletionTimestamp || !isReady(sandbox)) return false;
  if (filter.fresh !== undefined && !isFreshMember(sandbox, filter.fresh.templateName, filter.fresh.hash)) return false;
  return !filter.skip(sandbox);
}

/** The eligible members sorted by name and rotated to start at the claim's hash. */
export function orderCandidates(members: readonly SandboxObject[], claimUid: string, filter: CandidateFilter): SandboxObject[] {
  const list = members.filter((s) => eligible(s, filter)).sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  if (list.length < 2) return list;
  const start = Number.parseInt(fnv1a32(claimUid), 16) % list.length;
  return [...list.slice(start), ...list.slice(0, start)];
}
