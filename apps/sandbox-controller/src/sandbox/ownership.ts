import { ADOPTABLE_LABEL, SANDBOX_NAME_HASH_LABEL } from '@agent-sandbox/api';
import { controllerOf, type KubeObject, type OwnerReference } from '@agent-sandbox/runtime';

/**
 * How an existing Pod, Service or PVC stands to a Sandbox:
 * - `owned`: the sandbox is its controller;
 * - `adoptable`: no controller, and it says it may be taken (the adoptable label, or the
 *   sandbox's name-hash label);
 * - `foreign`: controlled by something else, or unowned without consent: never touched.
 */
export type Standing = 'owned' | 'adoptable' | 'foreign';

export function standingOf(obj: KubeObject, owner: { uid: string; nameHash: string }): Standing {
  const ref = controllerOf(obj);
  if (ref) return ref.uid === owner.uid ? 'owned' : 'foreign';
  const labels = obj.metadata.labels ?? {};
  if (labels[ADOPTABLE_LABEL] === 'true' || labels[SANDBOX_NAME_HASH_LABEL] === owner.nameHash) return 'adoptable';
  return 'foreign';
}

/** The object's owner references with `ref` as its controller (other references kept). */
export function withController(obj: KubeObject, ref: OwnerReference): OwnerReference[] {
  return [...(obj.metadata.ownerReferences ?? []).filter((r) => r.controller !== true && r.uid !== ref.uid), ref];
}

/** Why a foreign object is left alone, for conditions and events. */
export function foreignReason(kind: string, obj: KubeObject): string {
  const ref = controllerOf(obj);
  return ref
    ? `${kind} ${obj.metadata.name} exists and is controlled by ${ref.kind} ${ref.name}`
    : `${kind} ${obj.metadata.name} exists and is not owned by this Sandbox (label it ${ADOPTABLE_LABEL}=true to let the Sandbox adopt it)`;
}
