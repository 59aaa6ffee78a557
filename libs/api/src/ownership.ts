/**
 * Ownership without finalizers: controller owner references, read and written the way the
 * garbage collector and the controllers agree on (one controller reference per object).
 */
import type { V1OwnerReference } from '@kubernetes/client-node';
import type { KubeObject } from './kinds/meta.ts';

/** The parts of an owner a reference needs: its identity and type. */
export interface OwnerIdentity {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; uid?: string };
}

export interface ControllerRefOptions {
  /** Default true: the owner is deleted only after this object under foreground deletion. */
  blockOwnerDeletion?: boolean;
}

/** A controller owner reference to `owner` (which must have a name and uid: read it from the server). */
export function controllerRef(owner: OwnerIdentity, options: ControllerRefOptions = {}): V1OwnerReference {
  const { name, uid } = owner.metadata;
  if (!name || !uid) throw new Error(`controllerRef: ${owner.kind} needs metadata.name and metadata.uid`);
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name,
    uid,
    controller: true,
    blockOwnerDeletion: options.blockOwnerDeletion ?? true,
  };
}

/** The object's controller owner reference, if any. */
export function controllerOf(obj: Pick<KubeObject, 'metadata'>): V1OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((ref) => ref.controller === true);
}

/** Whether `owner` (by uid) is the controller of `obj`. */
export function isControlledBy(obj: Pick<KubeObject, 'metadata'>, owner: { metadata: { uid?: string } }): boolean {
  const uid = owner.metadata.uid;
  return uid !== undefined && controllerOf(obj)?.uid === uid;
}

/**
 * The owner references of `obj` with its controller reference replaced by `ref` (other
 * references kept): what a hand-over from one controller to another writes.
 */
export function withControllerRef(obj: Pick<KubeObject, 'metadata'>, ref: V1OwnerReference): V1OwnerReference[] {
  return [...(obj.metadata.ownerReferences ?? []).filter((r) => r.controller !== true && r.uid !== ref.uid), ref];
}
