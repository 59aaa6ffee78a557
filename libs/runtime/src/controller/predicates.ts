import type { KubeObject } from '../client/objects.ts';

export type ObjectEvent<T extends KubeObject = KubeObject> =
  | { type: 'add'; obj: T }
  | { type: 'update'; obj: T; old: T }
  | { type: 'delete'; obj: T };

/** Whether an event should enqueue anything; every predicate of a watch must agree. */
export type Predicate<T extends KubeObject = KubeObject> = (event: ObjectEvent<T>) => boolean;

/** Updates pass only when `metadata.generation` moved (spec changes, not status-only ones). */
export const generationChanged: Predicate = (e) => e.type !== 'update' || e.old.metadata.generation !== e.obj.metadata.generation;

export const labelsChanged: Predicate = (e) => e.type !== 'update' || !sameRecord(e.old.metadata.labels, e.obj.metadata.labels);

export const annotationsChanged: Predicate = (e) => e.type !== 'update' || !sameRecord(e.old.metadata.annotations, e.obj.metadata.annotations);

/** Drops updates that carry nothing new (a relist that saw the same resourceVersion). */
export const resourceVersionChanged: Predicate = (e) => e.type !== 'update' || e.old.metadata.resourceVersion !== e.obj.metadata.resourceVersion;

export function any<T extends KubeObject>(...predicates: Predicate<T>[]): Predicate<T> {
  return (e) => predicates.some((p) => p(e));
}

export function all<T extends KubeObject>(...predicates: Predicate<T>[]): Predicate<T> {
  return (e) => predicates.every((p) => p(e));
}

function sameRecord(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ak = Object.keys(a ?? {});
  if (ak.length !== Object.keys(b ?? {}).length) return false;
  return ak.every((k) => a![k] === b?.[k]);
}
