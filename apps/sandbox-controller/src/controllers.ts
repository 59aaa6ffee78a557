import { expiredAt, SANDBOX, SANDBOX_TEMPLATE } from '@agent-sandbox/api';
import { controllerOf, Kinds, predicates, trimPod, type KubeObject, type Manager, type Predicate } from '@agent-sandbox/runtime';
import { SandboxKind, SandboxTemplateKind, type SandboxObject } from './kinds.ts';
import { SandboxMetrics } from './metrics/sandbox-metrics.ts';
import { podNameOf } from './sandbox/desired-objects.ts';
import { sandboxReconciler } from './sandbox/sandbox-reconciler.ts';
import { networkPolicyName } from './template/network-policy.ts';
import { templateReconciler } from './template/template-reconciler.ts';

export interface ControllerSettings {
  sandboxWorkers: number;
  templateWorkers: number;
  clusterDomain: string;
}

const POD_NAME_INDEX = 'pod-name';

/**
 * Sandbox updates that can change what the reconcile does: spec (generation), labels,
 * annotations (the ttl-reaper's expired-at among them), owners, deletion, and a legacy Expired
 * condition written by an earlier ttl-reaper. Our own status writes do not come back as work.
 */
const sandboxChanged: Predicate = (e) => {
  if (e.type !== 'update') return true;
  const [a, b] = [e.old.metadata, e.obj.metadata];
  const expired = (o: KubeObject) => expiredAt(o as SandboxObject);
  return (
    a.generation !== b.generation ||
    predicates.labelsChanged(e) ||
    predicates.annotationsChanged(e) ||
    JSON.stringify(a.ownerReferences ?? []) !== JSON.stringify(b.ownerReferences ?? []) ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    expired(e.old) !== expired(e.obj)
  );
};

/** Keys of the sandboxes an object may belong to: its controller, if a Sandbox, and `extra`. */
function ownerKeys(obj: KubeObject, kind: { apiVersion: string; kind: string }, extra: Iterable<string>): string[] {
  const keys = new Set(extra);
  const ref = controllerOf(obj);
  if (ref && ref.kind === kind.kind && ref.apiVersion === kind.apiVersion) keys.add(`${obj.metadata.namespace}/${ref.name}`);
  return [...keys];
}

/** Registers the Sandbox and SandboxTemplate controllers and the sandbox metrics on `manager`. */
export function registerControllers(manager: Manager, settings: ControllerSettings): SandboxMetrics {
  manager.transform(Kinds.Pod, trimPod);
  const sandboxes = manager.informer<SandboxObject>(SandboxKind);
  sandboxes.store.addIndexer(POD_NAME_INDEX, (s) => [`${s.metadata.namespace}/${podNameOf(s as SandboxObject)}`]);
  const templates = manager.informer(SandboxTemplateKind);
  const metrics = new SandboxMetrics(manager.registry, () => sandboxes.store.list());

  // A Pod or Service reaches its controlling Sandbox, and also the Sandbox whose name it has
  // (an unowned object in the way, or one waiting to be adopted).
  const podKeys = (pod: KubeObject) => ownerKeys(pod, SANDBOX, sandboxes.store.byIndex(POD_NAME_INDEX, `${pod.metadata.namespace}/${pod.metadata.name}`).map((s) => `${s.metadata.namespace}/${s.metadata.name}`));
  const byName = (obj: KubeObject) => {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    return ownerKeys(obj, SANDBOX, sandboxes.store.get(key) ? [key] : []);
  };

  manager
    .controller('sandbox')
    .for(SandboxKind, { predicates: [predicates.resourceVersionChanged, sandboxChanged] })
    .watches(Kinds.Pod, podKeys, { predicates: [predicates.resourceVersionChanged] })
    .watches(Kinds.Service, byName, { predicates: [predicates.resourceVersionChanged] })
    .watches(Kinds.PersistentVolumeClaim, (pvc) => ownerKeys(pvc, SANDBOX, []), { predicates: [predicates.resourceVersionChanged] })
    // After a restart, Sandboxes whose Pod, Service and PVCs have streamed in are reconciled
    // while the rest of the caches still fill; the others wait for the sync.
    .withOptions({ concurrency: settings.sandboxWorkers, startBeforeSync: true })
    .complete(sandboxReconciler(manager, { clusterDomain: settings.clusterDomain, metrics }));

  const suffix = '-network-policy';
  manager
    .controller('sandbox-template')
    .for(SandboxTemplateKind, { predicates: [predicates.resourceVersionChanged, predicates.any(predicates.generationChanged, predicates.labelsChanged)] })
    .watches(
      Kinds.NetworkPolicy,
      (np) => {
        const name = np.metadata.name ?? '';
        const key = name.endsWith(suffix) ? `${np.metadata.namespace}/${name.slice(0, -suffix.length)}` : undefined;
        return ownerKeys(np, SANDBOX_TEMPLATE, key && templates.store.get(key) && networkPolicyName(key.split('/')[1]!) === name ? [key] : []);
      },
      { predicates: [predicates.resourceVersionChanged] },
    )
    .withOptions({ concurrency: settings.templateWorkers })
    .complete(templateReconciler(manager));
  return metrics;
}
