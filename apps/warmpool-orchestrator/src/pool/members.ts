/** Reading pool members off the cache: the plan's view of a Sandbox, and the pool's status. */
import {
  ConditionType,
  isFreshMember,
  nameHash,
  sandboxFromTemplate,
  WARM_POOL_SANDBOX_LABEL,
  WarmPoolReason,
  type SandboxWarmPoolStatus,
} from '@agent-sandbox/api';
import { findCondition, setCondition, type Condition, type KubeObject, type OwnerReference } from '@agent-sandbox/runtime';
import type { PoolObject, SandboxObject, TemplateObject } from '../kinds.ts';
import type { Member, Plan } from './plan.ts';

export function conditionsOf(obj: { status?: { conditions?: unknown } }): Condition[] | undefined {
  return obj.status?.conditions as Condition[] | undefined;
}

export function isReady(sandbox: SandboxObject): boolean {
  return findCondition(conditionsOf(sandbox), ConditionType.Ready)?.status === 'True';
}

/** The sandbox-controller mirrors the Pod's PodScheduled: False / Unschedulable means no node fits. */
export function isUnschedulable(sandbox: SandboxObject): boolean {
  const c = findCondition(conditionsOf(sandbox), ConditionType.PodScheduled);
  return c?.status === 'False' && c.reason === 'Unschedulable';
}

/** `currentHash`: templateHash of the pool's template `templateName`, undefined while it does not exist. */
export function memberView(sandbox: SandboxObject, templateName: string, currentHash: string | undefined): Member {
  return {
    name: sandbox.metadata.name!,
    ready: isReady(sandbox),
    // Without a template there is no current version: nothing is called stale.
    updated: currentHash === undefined || isFreshMember(sandbox, templateName, currentHash),
    createdAtMs: Date.parse(String(sandbox.metadata.creationTimestamp ?? '')) || 0,
    unschedulable: isUnschedulable(sandbox),
  };
}

export function poolSelector(poolName: string): string {
  return `${WARM_POOL_SANDBOX_LABEL}=${nameHash(poolName)}`;
}

/** A new member: `<pool>-xxxxx`, controlled by the pool, labelled for the pool and the template version. */
export function memberSandbox(pool: PoolObject, template: TemplateObject, hash: string, owner: OwnerReference): KubeObject {
  return sandboxFromTemplate(template, {
    generateName: `${pool.metadata.name}-`,
    namespace: pool.metadata.namespace!,
    owner,
    launchType: 'warm',
    hash,
    labels: { [WARM_POOL_SANDBOX_LABEL]: nameHash(pool.metadata.name!) },
    // That an unclaimed member's Pod may be evicted is the sandbox-controller's to say (from the
    // controller): taking a member then changes no spec.
  }) as KubeObject;
}

export interface StatusInput {
  pool: PoolObject;
  members: readonly Member[];
  plan: Plan;
  templateFound: boolean;
  now?: Date;
}

/** The pool's status: counts, selector, and the [ext] Available and Progressing conditions. */
export function poolStatus({ pool, members, plan, templateFound, now = new Date() }: StatusInput): SandboxWarmPoolStatus {
  const replicas = pool.spec.replicas ?? 1;
  const ready = members.filter((m) => m.ready).length;
  const updated = members.filter((m) => m.updated).length;
  const generation = pool.metadata.generation;
  const gen = generation === undefined ? {} : { observedGeneration: generation };
  let conditions = conditionsOf(pool) ?? [];
  conditions = setCondition(
    conditions,
    ready >= replicas
      ? { type: ConditionType.Available, status: 'True', reason: WarmPoolReason.MinimumReplicasAvailable, message: `${ready} of ${replicas} members are Ready`, ...gen }
      : { type: ConditionType.Available, status: 'False', reason: WarmPoolReason.MinimumReplicasUnavailable, message: `${ready} of ${replicas} members are Ready`, ...gen },
    now,
  );
  const onReplenish = (pool.spec.updateStrategy?.type ?? 'OnReplenish') === 'OnReplenish';
  let progressing: Omit<Condition, 'lastTransitionTime'>;
  if (!templateFound) {
    progressing = { type: ConditionType.Progressing, status: 'False', reason: WarmPoolReason.TemplateNotFound, message: `SandboxTemplate ${pool.spec.sandboxTemplateRef.name} not found` };
  } else if (plan.held.length > 0) {
    const names = plan.held.map((m) => m.name).sort();
    progressing = {
      type: ConditionType.Progressing,
      status: 'False',
      reason: WarmPoolReason.NotProgressing,
      message: `${names.length} member(s) cannot be scheduled and are held: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`,
    };
  } else if (members.length === replicas && ready === replicas && (onReplenish || updated === members.length)) {
    progressing = { type: ConditionType.Progressing, status: 'True', reason: WarmPoolReason.ReplicasUpToDate, message: `${replicas} members, all Ready` };
  } else {
    progressing = {
      type: ConditionType.Progressing,
      status: 'True',
      reason: WarmPoolReason.ReplicasUpdating,
      message: `${members.length} members (${ready} Ready, ${updated} from the current template), ${replicas} wanted`,
    };
  }
  conditions = setCondition(conditions, { ...progressing, ...gen }, now);
  return {
    replicas: members.length,
    readyReplicas: ready,
    updatedReplicas: updated,
    selector: poolSelector(pool.metadata.name!),
    ...gen,
    conditions,
  };
}

/** Whether writing `next` would change anything (conditions keep their transition times when equal). */
export function statusDiffers(current: SandboxWarmPoolStatus | undefined, next: SandboxWarmPoolStatus): boolean {
  return JSON.stringify(normalize(current ?? {})) !== JSON.stringify(normalize(next));
}

function normalize(s: SandboxWarmPoolStatus): unknown {
  const conditions = [...((s.conditions as Condition[] | undefined) ?? [])].sort((a, b) => a.type.localeCompare(b.type)).map((c) => [c.type, c.status, c.reason, c.message, c.observedGeneration]);
  return [s.replicas ?? 0, s.readyReplicas ?? 0, s.updatedReplicas ?? 0, s.selector ?? '', s.observedGeneration ?? 0, conditions];
}

/**
 * Whether `next` differs from `current` only in its counts (and the messages that quote them):
 * the same condition statuses and reasons, generation and selector. Under churn such writes may
 * be spaced out; anything else is written at once.
 */
export function onlyCountsDiffer(current: SandboxWarmPoolStatus | undefined, next: SandboxWarmPoolStatus): boolean {
  const shape = (s: SandboxWarmPoolStatus) => {
    const conditions = [...((s.conditions as Condition[] | undefined) ?? [])].sort((a, b) => a.type.localeCompare(b.type)).map((c) => [c.type, c.status, c.reason, c.observedGeneration]);
    return JSON.stringify([s.selector ?? '', s.observedGeneration ?? 0, conditions]);
  };
  return current !== undefined && shape(current) === shape(next);
}
