import type { KubeObject } from '../client/objects.ts';
import type { IndexFn } from './store.ts';

/** Index name for {@link byControllerUID}. */
export const CONTROLLER_UID_INDEX = 'controller-uid';

/** The UID of the controlling owner: "which Pods does this Sandbox control?" in one lookup. */
export const byControllerUID: IndexFn<KubeObject> = (obj) => {
  const ref = obj.metadata.ownerReferences?.find((r) => r.controller === true);
  return ref ? [ref.uid] : [];
};

/** Every owner's UID, controlling or not. */
export const byOwnerUID: IndexFn<KubeObject> = (obj) => obj.metadata.ownerReferences?.map((r) => r.uid) ?? [];

/** Index by the value of one label (objects without it are not indexed). */
export function byLabel(label: string): IndexFn<KubeObject> {
  return (obj) => {
    const value = obj.metadata.labels?.[label];
    return value === undefined ? [] : [value];
  };
}

/** Index by namespace, for cluster-wide informers. */
export const byNamespace: IndexFn<KubeObject> = (obj) => (obj.metadata.namespace ? [obj.metadata.namespace] : []);
