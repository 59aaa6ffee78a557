/**
 * The pool's decision, as a pure function of what the cache shows: how many members to make,
 * which to delete, which to hold. The reconciler only gathers the inputs and carries it out.
 */
import type { UpdateStrategyType } from '@agent-sandbox/api';

/** One member Sandbox as the plan sees it. */
export interface Member {
  name: string;
  /** Ready condition True. */
  ready: boolean;
  /** Made from the template as it is now (template-hash label matches). */
  updated: boolean;
  /** creationTimestamp, ms since the epoch. */
  createdAtMs: number;
  /** The Pod cannot be scheduled (PodScheduled False / Unschedulable). */
  unschedulable: boolean;
}

export interface Strategy {
  type: UpdateStrategyType;
  maxSurge?: number | string;
  maxUnavailable?: number | string;
}

export interface PlanInput {
  replicas: number;
  strategy: Strategy;
  /** Active members (not terminating). */
  members: readonly Member[];
  nowMs: number;
  /** A member not Ready this long after creation is replaced (unless unschedulable). */
  readyGraceMs: number;
  /** False: the template is missing; nothing can be made. */
  canCreate: boolean;
}

export interface Plan {
  create: number;
  /** In the order to delete them. */
  delete: Member[];
  /** Not Ready past the grace period but unschedulable: kept, and reported. */
  held: Member[];
  /** When to look again without any event: the next grace deadline. */
  requeueAfterMs?: number;
}

/** An int-or-percent of `total`; percentages round up for surge and down for unavailability. */
export function resolveIntOrPercent(value: number | string | undefined, total: number, fallback: string, roundUp: boolean): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return Math.max(0, v);
  const m = /^(\d+)(%?)$/.exec(v);
  if (!m) return 0;
  const n = Number(m[1]);
  if (!m[2]) return n;
  const exact = (n * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** The pace of a RollingUpdate: at least one of the two must allow progress. */
export function rollingBounds(strategy: Strategy, replicas: number): { surge: number; unavailable: number } {
  const surge = resolveIntOrPercent(strategy.maxSurge, replicas, '25%', true);
  let unavailable = resolveIntOrPercent(strategy.maxUnavailable, replicas, '25%', false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

/**
 * Surplus in the order to delete: not Ready first (nothing is lost), then made from an older
 * template, then the newest (the oldest have proven themselves), then by name for stability.
 */
export function deletionOrder(members: readonly Member[]): Member[] {
  return [...members].sort(
    (a, b) => Number(a.ready) - Number(b.ready) || Number(a.updated) - Number(b.updated) || b.createdAtMs - a.createdAtMs || a.name.localeCompare(b.name),
  );
}

export function plan(input: PlanInput): Plan {
  const { replicas, strategy, nowMs, readyGraceMs } = input;
  const deleted = new Set<string>();
  const out: Plan = { create: 0, delete: [], held: [] };
  const remove = (m: Member) => {
    if (deleted.has(m.name)) return;
    deleted.add(m.name);
    out.delete.push(m);
  };

  // A member that should have been Ready by now is replaced, unless it cannot be placed at
  // all: a replacement would not fare better, so it is held and the pool says why.
  let nextDeadline = Infinity;
  for (const m of input.members) {
    if (m.ready) continue;
    const deadline = m.createdAtMs + readyGraceMs;
    if (deadline > nowMs) nextDeadline = Math.min(nextDeadline, deadline);
    else if (m.unschedulable) out.held.push(m);
    else remove(m);
  }
  if (nextDeadline !== Infinity) out.requeueAfterMs = Math.max(1, nextDeadline - nowMs);

  if (strategy.type === 'Recreate') for (const m of input.members) if (!m.updated) remove(m);

  let remaining = input.members.filter((m) => !deleted.has(m.name));
  const stale = remaining.filter((m) => !m.updated);

  if (strategy.type === 'RollingUpdate' && stale.length > 0) {
    const { surge, unavailable } = rollingBounds(strategy, replicas);
    const updated = remaining.length - stale.length;
    // Stale members that are not Ready cost no availability; Ready ones go only as far as
    // the Ready count stays at replicas - maxUnavailable.
    for (const m of stale) if (!m.ready) remove(m);
    const ready = remaining.filter((m) => m.ready).length;
    let budget = ready - (replicas - unavailable);
    for (const m of deletionOrder(stale.filter((s) => s.ready))) {
      if (budget <= 0) break;
      remove(m);
      budget--;
    }
    remaining = remaining.filter((m) => !deleted.has(m.name));
    out.create = Math.max(0, Math.min(replicas - updated, replicas + surge - remaining.length));
  } else if (remaining.length < replicas) {
    out.create = replicas - remaining.length;
  } else if (remaining.length > replicas) {
    for (const m of deletionOrder(remaining).slice(0, remaining.length - replicas)) remove(m);
  }
  if (!input.canCreate) out.create = 0;
  return out;
}
