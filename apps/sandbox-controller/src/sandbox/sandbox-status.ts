import { ConditionType, SANDBOX_NAME_HASH_LABEL, SandboxReason, type SandboxStatus } from '@agent-sandbox/api';
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
  /** The Service is required for Ready (`service: true`). */
  serviceRequired: boolean;
  /** What went wrong in this pass (Ready=False/ReconcilerError), if anything. */
  error?: string;
}

export const isExpired = (sandbox: SandboxObject): boolean => findCondition(sandbox.status?.conditions as Condition[] | undefined, ConditionType.Expired)?.status === 'True';
export const isSuspended = (sandbox: SandboxObject): boolean => sandbox.spec.operatingMode === 'Suspended';

/**
 * The status this program writes: every field it owns and every condition but `Expired`
 * (the ttl-reaper's). Transition times carry over from `sandbox.status` where the status of a
 * condition stays.
 */
export function computeStatus(o: Observation, now: Date): SandboxStatus {
  const { sandbox, pod } = o;
  const generation = sandbox.metadata.generation;
  const previous = ownConditions(sandbox);
  let conditions: Condition[] = previous;
  const set = (c: Omit<ConditionInput, 'observedGeneration'>) => {
    conditions = setCondition(conditions, { ...c, ...(generation !== undefined ? { observedGeneration: generation } : {}) }, now);
  };

  set(readyCondition(o));

  const suspended = suspendedCondition(o);
  if (suspended) set(suspended);
  else if (findCondition(conditions, ConditionType.Suspended)) set({ type: ConditionType.Suspended, status: 'False', reason: SandboxReason.NotSuspended, message: 'The sandbox is running' });

  const scheduled = pod && !o.multiplePods ? pod.status?.conditions?.find((c) => c.type === 'PodScheduled') : undefined;
  if (scheduled) set({ type: ConditionType.PodScheduled, status: scheduled.status as Condition['status'], reason: scheduled.reason || (scheduled.status === 'True' ? 'PodScheduled' : 'Unknown'), message: scheduled.message ?? '' });
  else conditions = removeCondition(conditions, ConditionType.PodScheduled);

  const ended = pod && !o.multiplePods ? endedReason(pod) : undefined;
  if (ended) set({ type: ConditionType.Finished, status: 'True', reason: ended, message: `The Pod ${ended === SandboxReason.PodSucceeded ? 'succeeded' : 'failed'}` });
  else if (pod && !o.multiplePods) conditions = removeCondition(conditions, ConditionType.Finished);

  const status: SandboxStatus = { conditions: conditions as SandboxStatus['conditions'], selector: `${SANDBOX_NAME_HASH_LABEL}=${o.hash}` };
  if (o.service) {
    status.service = o.service.metadata.name!;
    status.serviceFQDN = `${o.service.metadata.name}.${sandbox.metadata.namespace}.svc.${o.clusterDomain}`;
  }
  if (pod && !o.multiplePods) {
    const ips = podIPs(pod);
    if (ips.length > 0) status.podIPs = ips;
    if (pod.spec?.nodeName) status.nodeName = pod.spec.nodeName;
  }
  return status;
}

function readyCondition(o: Observation): Omit<ConditionInput, 'observedGeneration'> {
  const { sandbox, pod } = o;
  const notReady = (reason: string, message: string) => ({ type: ConditionType.Ready, status: 'False' as const, reason, message });
  if (o.multiplePods) return notReady(SandboxReason.MultiplePods, 'More than one Pod is controlled by this Sandbox; nothing is created or deleted until only one is left');
  if (isExpired(sandbox)) return notReady(SandboxReason.SandboxExpired, 'The sandbox reached its shutdown time');
  if (isSuspended(sandbox)) return notReady(SandboxReason.SandboxSuspended, 'The sandbox is suspended');
  if (o.error) return notReady(SandboxReason.ReconcilerError, o.error);
  const ended = pod ? endedReason(pod) : undefined;
  if (ended) return notReady(ended, ended === SandboxReason.PodSucceeded ? 'The Pod succeeded' : 'The Pod failed');
  const missing: string[] = [];
  if (!pod) missing.push('Pod does not exist');
  else if (pod.metadata.deletionTimestamp) missing.push('Pod is terminating');
  else if (pod.status?.phase !== 'Running') missing.push(`Pod is ${pod.status?.phase ?? 'Pending'}`);
  else if (pod.status.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') missing.push('Pod is Running but not Ready');
  else if (podIPs(pod).length === 0) missing.push('Pod has no IP');
  if (o.serviceRequired && !o.service) missing.push('Service does not exist');
  if (missing.length > 0) return notReady(SandboxReason.DependenciesNotReady, missing.join('; '));
  return { type: ConditionType.Ready, status: 'True', reason: SandboxReason.DependenciesReady, message: 'Pod is Ready' + (o.service ? ' and Service exists' : '') };
}

function suspendedCondition(o: Observation): Omit<ConditionInput, 'observedGeneration'> | undefined {
  if (!isSuspended(o.sandbox)) return undefined;
  const type = ConditionType.Suspended;
  if (o.multiplePods) return { type, status: 'Unknown', reason: SandboxReason.PodStateUnknown, message: 'More than one Pod is controlled by this Sandbox' };
  if (o.pod) return { type, status: 'False', reason: SandboxReason.PodTerminating, message: `Pod ${o.pod.metadata.name} is terminating` };
  if (o.foreignPod) return { type, status: 'False', reason: SandboxReason.PodNotOwned, message: 'A Pod of the sandbox\'s name exists that the Sandbox does not own' };
  return { type, status: 'True', reason: SandboxReason.PodTerminated, message: 'The Pod is gone' };
}

function endedReason(pod: PodObject): string | undefined {
  if (pod.status?.phase === 'Succeeded') return SandboxReason.PodSucceeded;
  if (pod.status?.phase === 'Failed') return SandboxReason.PodFailed;
  return undefined;
}

export function podIPs(pod: PodObject): string[] {
  const list = pod.status?.podIPs?.map((p) => p.ip).filter(Boolean) ?? [];
  if (list.length > 0) return list;
  return pod.status?.podIP ? [pod.status.podIP] : [];
}

/** The sandbox's conditions this program writes (all but Expired). */
function ownConditions(sandbox: SandboxObject): Condition[] {
  return ((sandbox.status?.conditions ?? []) as Condition[]).filter((c) => c.type !== ConditionType.Expired);
}

/** Whether `next` says anything the sandbox's current status does not (so a write is due). */
export function statusChanged(sandbox: SandboxObject, next: SandboxStatus): boolean {
  const cur = sandbox.status ?? {};
  if (!conditionsEqual(ownConditions(sandbox), next.conditions as Condition[])) return true;
  return OWN_FIELDS.some((field) => fieldText(cur[field]) !== fieldText(next[field]));
}

/** Status fields this program owns besides the conditions (a merge patch clears them with null when they go). */
const OWN_FIELDS = ['selector', 'service', 'serviceFQDN', 'podIPs', 'nodeName'] as const;
const fieldText = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(',') : (value ?? ''));

/** Ready moved to True for the first time (the creation-latency sample). */
export function firstReady(sandbox: SandboxObject, next: SandboxStatus): boolean {
  const before = ownConditions(sandbox);
  const was = findCondition(before, ConditionType.Ready);
  const now = findCondition(next.conditions as Condition[], ConditionType.Ready);
  if (now?.status !== 'True' || was?.status === 'True') return false;
  // A sandbox that was suspended or finished before has been Ready already.
  return !findCondition(before, ConditionType.Suspended) && !findCondition(before, ConditionType.Finished) && (was === undefined || was.reason === SandboxReason.DependenciesNotReady);
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
  const current = ownConditions(sandbox);
  const upcoming = (next.conditions ?? []) as Condition[];
  if (!notReadyYet(current) || !notReadyYet(upcoming) || !findCondition(upcoming, ConditionType.Ready)) return false;
  if (findCondition(upcoming, ConditionType.PodScheduled)?.status === 'False') return false;
  const same = (type: string) => {
    const [a, b] = [findCondition(current, type), findCondition(upcoming, type)];
    return a?.status === b?.status && a?.reason === b?.reason;
  };
  const cur = sandbox.status ?? {};
  return same(ConditionType.Finished) && same(ConditionType.Suspended) && (cur.service ?? '') === (next.service ?? '') && (cur.serviceFQDN ?? '') === (next.serviceFQDN ?? '');
}

/**
 * The JSON merge patch of `status` that takes the sandbox's status to `next`. A merge patch
 * replaces the whole conditions list, so the ttl-reaper's Expired condition is carried over as
 * it is; the write is locked on the resourceVersion it was computed from, so an Expired written
 * meanwhile is never lost (the write fails with 409 and is computed again). Cheaper for the API
 * server than a server-side apply of the same status.
 */
export function statusPatch(sandbox: SandboxObject, next: SandboxStatus): Record<string, unknown> {
  const current = sandbox.status ?? {};
  const expired = findCondition(current.conditions as Condition[] | undefined, ConditionType.Expired);
  const patch: Record<string, unknown> = { ...next, conditions: expired ? [...((next.conditions ?? []) as Condition[]), expired] : (next.conditions ?? []) };
  for (const field of OWN_FIELDS) if (current[field] !== undefined && next[field] === undefined) patch[field] = null;
  return patch;
}
