import type { ObjectMeta } from '@agent-sandbox/api';

/**
 * Object metadata and owner references are the model's (libs/api): one definition of the wire
 * shape for every program. The runtime adds only what a cache of any kind needs.
 */
export type { ObjectMeta } from '@agent-sandbox/api';
export { controllerOf } from '@agent-sandbox/api';
export type OwnerReference = NonNullable<ObjectMeta['ownerReferences']>[number];

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface ObjectList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

/** `namespace/name`, or `name` for cluster-scoped objects: the key of the cache and the queue. */
export function objectKey(obj: { metadata: ObjectMeta }): string {
  const { namespace, name = '' } = obj.metadata;
  return namespace ? `${namespace}/${name}` : name;
}

export interface ObjectRef {
  namespace?: string;
  name: string;
}

export function keyOf(ref: ObjectRef): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

export function parseKey(key: string): ObjectRef {
  const slash = key.indexOf('/');
  return slash === -1 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
