import { ConditionType, nameHash, TEMPLATE_REF_HASH_LABEL, TemplateReason } from '@agent-sandbox/api';
import { conditionsEqual, controllerOf, isAlreadyExists, isNotFound, Kinds, setCondition, type Condition, type ConditionInput, type Manager, type Reconciler } from '@agent-sandbox/runtime';
import { SandboxTemplateKind, type NetworkPolicyObject, type TemplateObject } from '../kinds.ts';
import { desiredNetworkPolicy, networkPolicyName, networkPolicyUpToDate } from './network-policy.ts';

type Outcome = Omit<ConditionInput, 'type' | 'observedGeneration'>;

/**
 * SandboxTemplate → its ref-hash label, its managed NetworkPolicy (kept, repaired, or deleted
 * when Unmanaged; never one it does not own) and its [ext] status saying whether the policy is
 * in force.
 */
export function templateReconciler(manager: Manager, options: { now?: () => Date } = {}): Reconciler {
  const templates = manager.informer<TemplateObject>(SandboxTemplateKind).store;
  const policies = manager.informer<NetworkPolicyObject>(Kinds.NetworkPolicy).store;
  const { writer, events } = manager;
  const now = options.now ?? (() => new Date());

  return async (req, ctx) => {
    const cached = templates.get(req.key);
    if (!cached || cached.metadata.deletionTimestamp) return;
    const template: TemplateObject = { ...cached, apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxTemplate' };
    const { name, namespace, uid } = template.metadata;
    const signal = ctx.signal;
    const hash = nameHash(name!);

    let outcome: Outcome;
    let failure: unknown;
    try {
      if (template.metadata.labels?.[TEMPLATE_REF_HASH_LABEL] !== hash) {
        await writer.apply(SandboxTemplateKind, { metadata: { name, namespace, labels: { [TEMPLATE_REF_HASH_LABEL]: hash } } }, { signal });
      }
      outcome = await reconcilePolicy();
    } catch (err) {
      if (signal.aborted) throw err;
      failure = err;
      outcome = { status: 'False', reason: TemplateReason.ReconcilerError, message: (err as Error).message };
    }

    const generation = template.metadata.generation;
    const conditions = setCondition(
      template.status?.conditions as Condition[] | undefined,
      { type: ConditionType.Ready, ...outcome, ...(generation !== undefined ? { observedGeneration: generation } : {}) },
      now(),
    );
    const before = template.status;
    if (before?.observedGeneration !== generation || !conditionsEqual(before?.conditions as Condition[] | undefined, conditions)) {
      await writer.applyStatus(SandboxTemplateKind, { metadata: { name, namespace }, status: { ...(generation !== undefined ? { observedGeneration: generation } : {}), conditions } }, { signal });
      const was = (before?.conditions as Condition[] | undefined)?.find((c) => c.type === ConditionType.Ready);
      if (outcome.status !== 'True' && (was?.status !== outcome.status || was?.message !== outcome.message)) events.event(template, 'Warning', outcome.reason, outcome.message);
    }
    if (failure) throw failure;

    async function reconcilePolicy(): Promise<Outcome> {
      const policyName = networkPolicyName(name!);
      const existing = policies.get(`${namespace}/${policyName}`);
      const owned = existing !== undefined && controllerOf(existing)?.uid === uid;
      if (template.spec.networkPolicyManagement === 'Unmanaged') {
        if (existing && owned) {
          try {
            await writer.delete(Kinds.NetworkPolicy, existing, { signal });
            events.event(template, 'Normal', 'NetworkPolicyDeleted', `Deleted NetworkPolicy ${policyName}: the template's network policy is unmanaged`);
          } catch (err) {
            if (!isNotFound(err)) throw err;
          }
        }
        return { status: 'True', reason: TemplateReason.NetworkPolicyUnmanaged, message: 'No NetworkPolicy is managed for this template' };
      }
      if (existing && !owned) {
        return {
          status: 'False',
          reason: TemplateReason.ReconcilerError,
          message: `NetworkPolicy ${policyName} exists and is not owned by this template; it is left as it is`,
        };
      }
      const desired = desiredNetworkPolicy(template);
      if (!existing) {
        // Create, not apply: an apply would take over a policy the cache has not shown us yet.
        try {
          await writer.create(Kinds.NetworkPolicy, desired, { signal });
        } catch (err) {
          if (isAlreadyExists(err)) throw new Error(`NetworkPolicy ${policyName} exists already; looking again`, { cause: err });
          throw err;
        }
        events.event(template, 'Normal', 'NetworkPolicyCreated', `Created NetworkPolicy ${policyName}`);
      } else if (!networkPolicyUpToDate(existing, desired)) {
        // Locked on what was read: the owner checked above is still the owner.
        await writer.apply(Kinds.NetworkPolicy, { ...desired, metadata: { ...desired.metadata, resourceVersion: existing.metadata.resourceVersion } }, { signal });
        ctx.log.info({ networkPolicy: policyName }, 'repaired network policy');
        events.event(template, 'Normal', 'NetworkPolicyUpdated', `Brought NetworkPolicy ${policyName} back to the template's rules`);
      }
      const kind = template.spec.networkPolicy ? 'the template\'s rules' : 'the secure default';
      return { status: 'True', reason: TemplateReason.NetworkPolicyReady, message: `NetworkPolicy ${policyName} enforces ${kind}` };
    }
  };
}
