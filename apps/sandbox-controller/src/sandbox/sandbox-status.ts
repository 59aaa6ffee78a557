import { ConditionType, dependenciesMessage, EXPIRED_AT_ANNOTATION, expiredAt, LEGACY_EXPIRED_CONDITION, SANDBOX_NAME_HASH_LABEL, SandboxMessage, SandboxReason, type SandboxStatus } from '@agent-sandbox/api';
import { conditionsEqual, findCondition, removeCondition, setCondition, type Condition, type ConditionInput } from '@agent-sandbox/runtime';
import type { PodObject, SandboxObject, ServiceObject } from '../kinds.ts';

/** What a reconcile saw and did, from which the status follows. */
export interface Observation {
  sandbox: SandboxObject;
  hash: string;
  clusterDomain: string;
  /** More than one Pod controlled by the sandbox: nothing was created or deleted. */
  multiplePods: boolean;
  /** The sandbox's own Pod (after this pass's writes), if one exists. */
  pod?: PodObject;
  /** A Pod of the sandbox's pod name exists that the sandbox does not (and may not) own. */
  foreignPod?: boolean;
  /** The sandbox's own Service, if one exists. */
  service?: ServiceObject;
  /** What went wrong in this pass (Ready=False/ReconcilerError), if anything. */
  error?: string;
}

/** Expired: the ttl-reaper's `expired-at` annotation (or, until it migrates it, its legacy condition). */
export const isExpired = (sandbox: SandboxObject): boolean => expiredAt(sandbox) !== undefined;
export const isSuspended = (sandbox: SandboxObject): boolean => sandbox.spec.operatingMode === 'Suspended';

type ConditionOf = Omit<ConditionInput, 'observedGeneration'>;

/**
 * The sandbox's status: the standard's conditions with its messages (API.md, "Status is the
 * standard's, exactly"), and the Pod's and Service's fields; an expired sandbox keeps only its
 * conditions. Transition times carry over from `sandbox.status` where the status of a
 * condition stays. A legacy `Expired` condition is carried until the ttl-reaper has moved it to
 * its annotation, so the fact is never lost on the way.
 */
export function computeStatus(o: Observation, now: Date): SandboxStatus {
  const { sandbox } = o;
  const pod = o.multiplePods ? undefined : o.pod;
  // A Pod being deleted is on its way out: what it ends with was caused by the deletion.
  const live = pod && !pod.metadata.deletionTimestamp ? pod : undefined;
  const expired = isExpired(sandbox);
  const generation = sandbox.metadata.generation;
  let conditions = carriedConditions(sandbox);
  const set = (c: ConditionOf) => {
    conditions = setCondition(conditions, { ...c, ...(generation !== undefined ? { observedGeneration: generation } : {}) }, now);
  };

  const suspended = suspendedCondition(o);
  set(readyCondition(o, live, suspended));
  set(suspended);

  if (pod && !expired) set(podScheduledCondition(pod));
  else conditions = removeCondition(conditions, ConditionType.PodScheduled);

  // Finished stays until a Pod runs again (resumed or recreated), and across expiry.
  const ended = live ? endedReason(live) : undefined;
  if (!expired && ended) set({ type: ConditionType.Finished, status: 'True', reason: ended, message: endedMessage(ended) });
  else if (!expired && live) conditions = removeCondition(conditions, ConditionType.Finished);

  const status: SandboxStatus = { conditions: conditions as SandboxStatus['conditions'] };
  if (expired) return status;
  status.selector = `${SANDBOX_NAME_HASH_LABEL}=${o.hash}`;
  if (o.service) {
    status.service = o.service.metadata.name!;
    status.serviceFQDN = `${o.service.metadata.name}.${sandbox.metadata.namespace}.svc.${o.clusterDomain}`;
  }
  if (pod) {
    const ips = podIPs(pod);
    if (ips.length > 0) status.podIPs = ips;
    if (pod.spec?.nodeName) status.nodeName = pod.spec.nodeName;
  }
  return status;
}

function readyCondition(o: Observation, live: PodObject | undefined, suspended: ConditionOf): ConditionOf {
  const { sandbox } = o;
  const notReady = (reason: string, message: string) => ({ type: ConditionType.Ready, status: 'False' as const, reason, message });
  if (isExpired(sandbox)) return notReady(SandboxReason.SandboxExpired, SandboxMessage.expired);
  if (o.multiplePods) return notReady(SandboxReason.MultiplePods, 'More than one Pod is controlled by this Sandbox; nothing is created or deleted until only one is left');
  if (isSuspended(sandbox)) return notReady(SandboxReason.SandboxSuspended, suspended.status === 'True' ? SandboxMessage.suspended : SandboxMessage.suspending);
  if (o.error) return notReady(SandboxReason.ReconcilerError, SandboxMessage.error(o.error));
  const ended = live ? endedReason(live) : undefined;
  if (ended) return notReady(ended, endedMessage(ended));

  const pod = o.pod;
  let podState: string = SandboxMessage.podReady;
  if (!pod) podState = SandboxMessage.podMissing;
  else if (pod.status?.phase !== 'Running') podState = SandboxMessage.podPhase(pod.status?.phase ?? '');
  else if (pod.status.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') podState = SandboxMessage.podRunningNotReady;
  else if (podIPs(pod).length === 0) podState = SandboxMessage.podWithoutIPs;
  // Required: `service: true`, or unset while one exists (it is kept and waited for).
  const required = sandbox.spec.service === true || (sandbox.spec.service === undefined && o.service !== undefined);
  const service = required ? (o.service ? 'exists' : 'missing') : undefined;
  const message = dependenciesMessage(podState, service);
  if (podState === SandboxMessage.podReady && service !== 'missing') return { type: ConditionType.Ready, status: 'True', reason: SandboxReason.DependenciesReady, message };
  return notReady(SandboxReason.DependenciesNotReady, message);
}

/** Always present: NotSuspended unless the sandbox is to be suspended, else how far that got. */
function suspendedCondition(o: Observation): ConditionOf {
  const type = ConditionType.Suspended;
  if (!isSuspended(o.sandbox)) return { type, status: 'False', reason: SandboxReason.NotSuspended, message: SandboxMessage.notSuspended };
  if (o.multiplePods) return { type, status: 'Unknown', reason: SandboxReason.PodStateUnknown, message: SandboxMessage.podStateUnknown };
  if (o.pod) return { type, status: 'False', reason: SandboxReason.PodTerminating, message: SandboxMessage.podTerminating };
  if (o.foreignPod) return { type, status: 'False', reason: SandboxReason.PodNotOwned, message: SandboxMessage.podNotOwned };
  return { type, status: 'True', reason: SandboxReason.PodTerminated, message: SandboxMessage.podTerminated };
}

/**
 * The Pod's own PodScheduled, mirrored. The standard fixes no reason where the Pod has none:
 * `PodScheduled` when it is True, `Unknown` otherwise (a condition's reason may not be empty).
 */
function podScheduledCondition(pod: PodObject): ConditionOf {
  const type = ConditionType.PodScheduled;
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (!scheduled) return { type, status: 'Unknown', reason: 'Unknown', message: SandboxMessage.podScheduledUnknown };
  return { type, status: scheduled.status as Condition['status'], reason: scheduled.reason || (scheduled.status === 'True' ? 'PodScheduled' : 'Unknown'), message: scheduled.message ?? '' };
}

function endedReason(pod: PodObject): string | undefined {
  if (pod.status?.phase === 'Succeeded') return SandboxReason.PodSucceeded;
  if (pod.status?.phase === 'Failed') return SandboxReason.PodFailed;
  return undefined;
}

const endedMessage = (reason: string) => (reason === SandboxReason.PodSucceeded ? SandboxMessage.podSucceeded : SandboxMessage.podFailed);

export function podIPs(pod: PodObject): string[] {
  const list = pod.status?.podIPs?.map((p) => p.ip).filter(Boolean) ?? [];
  if (list.length > 0) return list;
  return pod.status?.podIP ? [pod.status.podIP] : [];
}

/**
 * The conditions a new status starts from: the current ones, less a legacy `Expired` condition
 * once the ttl-reaper has moved it to its annotation.
 */
function carriedConditions(sandbox: SandboxObject): Condition[] {
  const conditions = (sandbox.status?.conditions ?? []) as Condition[];
  return sandbox.metadata.annotations?.[EXPIRED_AT_ANNOTATION] !== undefined ? conditions.filter((c) => c.type !== LEGACY_EXPIRED_CONDITION) : conditions;
}

const currentConditions = (sandbox: SandboxObject): Condition[] => (sandbox.status?.conditions ?? []) as Condition[];

/** Whether `next` says anything the sandbox's current status does not (so a write is due). */
export function statusChanged(sandbox: SandboxObject, next: SandboxStatus): boolean {
  const cur = sandbox.status ?? {};
  if (!conditionsEqual(currentConditions(sandbox), next.conditions as Condition[])) return true;
  return OWN_FIELDS.some((field) => fieldText(cur[field]) !== fieldText(next[field]));
}

/** Status fields this program owns besides the conditions (a merge patch clears them with null when they go). */
const OWN_FIELDS = ['selector', 'service', 'serviceFQDN', 'podIPs', 'nodeName'] as const;
const fieldText = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(',') : (value ?? ''));

/**
 * Ready moved to True for the first time (the creation-latency sample). Never Ready before
 * shows in the times: the first status write sets Ready=False and Suspended=False together,
 * and neither has moved since if the sandbox was never Ready (nor suspended, then resumed).
 */
export function firstReady(sandbox: SandboxObject, next: SandboxStatus): boolean {
  const before = currentConditions(sandbox);
  const was = findCondition(before, ConditionType.Ready);
  const now = findCondition(next.conditions as Condition[], ConditionType.Ready);
  if (now?.status !== 'True' || was?.status === 'True') return false;
  if (was === undefined) return true;
  if (findCondition(before, ConditionType.Finished)) return false;
  const suspended = findCondition(before, ConditionType.Suspended);
  return suspended?.status === 'False' && suspended.lastTransitionTime === was.lastTransitionTime;
}

/**
 * Whether `next` only reports progress towards Ready that nobody waits on: the sandbox is not
 * Ready before or after, no problem is reported (the reason stays DependenciesNotReady, the Pod
 * is not unschedulable), and nothing else a reader acts on changes (Service, Finished,
 * Suspended). Such news may wait briefly to be carried by the next write: a Pod is usually
 * scheduled and Ready moments after it is created, and the Ready write then says everything at
 * once. A sandbox without any status yet counts as not Ready for DependenciesNotReady.
 */
export function onlyProgress(sandbox: SandboxObject, next: SandboxStatus): boolean {
  const notReadyYet = (conditions: readonly Condition[]) => {
    const ready = findCondition(conditions, ConditionType.Ready);
    return ready === undefined || (ready.status === 'False' && ready.reason === SandboxReason.DependenciesNotReady);
  };
  const current = currentConditions(sandbox);
  const upcoming = (next.conditions ?? []) as Condition[];
  if (!notReadyYet(current) || !notReadyYet(upcoming) || !findCondition(upcoming, ConditionType.Ready)) return false;
  if (findCondition(upcoming, ConditionType.PodScheduled)?.status === 'False') return false;
  // A first status write says NotSuspended where there was nothing: no news either.
  const shown = (conditions: readonly Condition[], type: string) => {
    const c = findCondition(conditions, type);
    return c ? `${c.status}/${c.reason}` : type === ConditionType.Suspended ? `False/${SandboxReason.NotSuspended}` : '';
  };
  const same = (type: string) => shown(current, type) === shown(upcoming, type);
  const cur = sandbox.status ?? {};
  return same(ConditionType.Finished) && same(ConditionType.Suspended) && (cur.service ?? '') === (next.service ?? '') && (cur.serviceFQDN ?? '') === (next.serviceFQDN ?? '');
}

/**
 * The JSON merge patch of `status` that takes the sandbox's status to `next` (which holds every
 * condition the status is to have: a merge patch replaces the list). The write is locked on the
 * resourceVersion it was computed from, so nothing written meanwhile is lost (the write fails
 * with 409 and is computed again). Cheaper for the API server than a server-side apply of the
 * same status.
 */
export function statusPatch(sandbox: SandboxObject, next: SandboxStatus): Record<string, unknown> {
  const current = sandbox.status ?? {};
  const patch: Record<string, unknown> = { ...next, conditions: next.conditions ?? [] };
  for (const field of OWN_FIELDS) if (current[field] !== undefined && next[field] === undefined) patch[field] = null;
  return patch;
}
