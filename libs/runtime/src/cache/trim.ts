import type { KubeObject } from '../client/objects.ts';

/** A per-kind transform applied to each object before it enters the cache (mutate and return it). */
export type Transform<T extends KubeObject = KubeObject> = (obj: T) => T;

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * What no reconcile reads and every object carries: `managedFields` (often the largest part of
 * an object) and kubectl's copy of the last applied configuration.
 */
export function trimObject<T extends KubeObject>(obj: T): T {
  const meta = obj.metadata;
  if (meta.managedFields) delete meta.managedFields;
  if (meta.annotations && LAST_APPLIED in meta.annotations) {
    delete meta.annotations[LAST_APPLIED];
    if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
  }
  return obj;
}

/** Drops a Pod's status and spec parts a controller of sandboxes never reads. */
export const trimPod: Transform = (pod) => {
  const spec = pod.spec as Record<string, unknown> | undefined;
  if (spec) {
    delete spec.volumes;
    delete spec.tolerations;
    delete spec.affinity;
    const containers = spec.containers as Array<Record<string, unknown>> | undefined;
    for (const c of containers ?? []) {
      delete c.env;
      delete c.envFrom;
      delete c.volumeMounts;
      delete c.livenessProbe;
      delete c.readinessProbe;
      delete c.startupProbe;
      delete c.resources;
      delete c.terminationMessagePath;
      delete c.terminationMessagePolicy;
      delete c.imagePullPolicy;
      delete c.securityContext;
    }
  }
  return pod;
};
