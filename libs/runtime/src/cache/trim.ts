import type { KubeObject, ObjectMeta } from '../client/objects.ts';

/** A per-kind transform applied to each object before it enters the cache (mutate and return it). */
export type Transform<T extends KubeObject = KubeObject> = (obj: T) => T;

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * What no reconcile reads and every object carries: `managedFields` (often the largest part of
 * an object) and kubectl's copy of the last applied configuration.
 */
export function trimObject<T extends KubeObject>(obj: T): T {
  const meta = obj.metadata;
  const lastApplied = meta.annotations !== undefined && LAST_APPLIED in meta.annotations;
  if (!meta.managedFields && !lastApplied) return obj;
  // Rebuilt, not pruned with `delete`: V8 keeps a pruned object in a larger dictionary form.
  const { managedFields: _dropped, annotations, ...rest } = meta;
  const kept: ObjectMeta = rest;
  if (annotations) {
    const { [LAST_APPLIED]: _lastApplied, ...others } = annotations;
    if (Object.keys(others).length > 0) kept.annotations = others;
  }
  obj.metadata = kept;
  return obj;
}

/**
 * Keeps of a Pod what controllers of sandboxes read: of its spec the node, containers' names,
 * images and ports, restart policy and service account; of its status the phase, conditions
 * and addresses (not the container statuses, start time, host addresses or QoS class); its
 * metadata whole. Spec and status are rebuilt rather than pruned with `delete`, which would leave
 * V8 objects in slower, larger dictionary form.
 */
export const trimPod: Transform = (pod) => {
  const spec = pod.spec as Record<string, unknown> | undefined;
  if (spec) {
    const containers = (spec.containers as Array<Record<string, unknown>> | undefined) ?? [];
    pod.spec = {
      nodeName: spec.nodeName,
      restartPolicy: spec.restartPolicy,
      serviceAccountName: spec.serviceAccountName,
      containers: containers.map((c) => ({ name: c.name, image: c.image, ports: c.ports })),
    };
  }
  const status = pod.status as Record<string, unknown> | undefined;
  if (status) {
    pod.status = {
      phase: status.phase,
      ...(status.reason !== undefined ? { reason: status.reason } : {}),
      ...(status.message !== undefined ? { message: status.message } : {}),
      conditions: status.conditions,
      podIP: status.podIP,
      podIPs: status.podIPs,
    };
  }
  return pod;
};

/** What the informer does to every object on its way in: the standard trim, then the kind's transform. */
export function admitObject<T extends KubeObject>(obj: T, options: { trim?: boolean; transform?: Transform<T> } = {}): T {
  if (options.trim ?? true) trimObject(obj);
  return options.transform ? options.transform(obj) : obj;
}
