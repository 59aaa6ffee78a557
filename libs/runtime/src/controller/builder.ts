import { apiVersionOf, type ResourceKind } from '../client/kinds.ts';
import { objectKey, type KubeObject } from '../client/objects.ts';
import type { EventHandlers, Informer } from '../cache/informer.ts';
import type { ObjectEvent, Predicate } from './predicates.ts';
import type { Reconciler } from './reconcile.ts';
import type { Controller } from './controller.ts';

/** Maps a watched object to the keys it should enqueue. */
export type MapFn<T extends KubeObject = KubeObject> = (obj: T) => Iterable<string>;

export interface WatchOptions<T extends KubeObject = KubeObject> {
  predicates?: Predicate<T>[];
}

export interface ControllerOptionsInput {
  concurrency?: number;
  /**
   * Start reconciling while the caches still fill (the first lists stream in), instead of after
   * they have synced. The reconcile must then tell when what it needs may not be cached yet
   * (`informer.hasSynced()` false and an object absent) and answer `{ afterSync: true }`.
   */
  startBeforeSync?: boolean;
}

/** What the builder needs from the manager: shared informers and a place to register. */
export interface ControllerHost {
  informer<T extends KubeObject>(kind: ResourceKind): Informer<T>;
  register(spec: { name: string; kind: ResourceKind; reconcile: Reconciler; concurrency?: number; startBeforeSync?: boolean }): Controller;
  /** Whether `obj` is exactly what this process's own last write of it produced (Writer.wrote). */
  wrote?(kind: ResourceKind, obj: KubeObject): boolean;
  /** While a write of `obj` awaits its answer, when it (and any other) has been answered (Writer.settling). */
  settling?(kind: ResourceKind, obj: KubeObject): Promise<void> | undefined;
}

interface Source {
  kind: ResourceKind;
  map: MapFn;
  predicates: Predicate[];
  /** The reconciled kind itself: an update that only brings back our own last write is dropped. */
  primary?: boolean;
}

/**
 * controller-runtime's builder: `for` the reconciled kind, `owns` kinds it creates (an event
 * enqueues the controlling owner), `watches` any kind through a map function, each with
 * predicates. Handlers only enqueue keys; the reconcile reads the world afresh. An update
 * enqueues what the new version maps to and what the old one did. An update of the reconciled
 * object that only brings back this process's own last write of it enqueues nothing: the
 * reconcile that wrote it ended knowing it (and one that was still running when it arrived
 * goes on from its own write). Such an event can come before the write's own answer: an update
 * arriving while a write of that object is in flight is held until the write is answered, then
 * judged.
 */
export class ControllerBuilder {
  readonly #host: ControllerHost;
  readonly #name: string;
  #for: ResourceKind | undefined;
  readonly #sources: Source[] = [];
  #options: ControllerOptionsInput = {};

  constructor(host: ControllerHost, name: string) {
    this.#host = host;
    this.#name = name;
  }

  for(kind: ResourceKind, options: WatchOptions = {}): this {
    if (this.#for) throw new Error(`controller ${this.#name}: for() already called`);
    this.#for = kind;
    this.#sources.push({ kind, map: (obj) => [objectKey(obj)], predicates: options.predicates ?? [], primary: true });
    return this;
  }

  owns(kind: ResourceKind, options: WatchOptions = {}): this {
    this.#sources.push({ kind, map: (obj) => this.#ownerKeys(obj), predicates: options.predicates ?? [] });
    return this;
  }

  watches<T extends KubeObject>(kind: ResourceKind, map: MapFn<T>, options: WatchOptions<T> = {}): this {
    this.#sources.push({ kind, map: map as MapFn, predicates: (options.predicates ?? []) as Predicate[] });
    return this;
  }

  withOptions(options: ControllerOptionsInput): this {
    this.#options = { ...this.#options, ...options };
    return this;
  }

  complete(reconcile: Reconciler): Controller {
    const forKind = this.#for;
    if (!forKind) throw new Error(`controller ${this.#name}: call for(kind) before complete()`);
    const controller = this.#host.register({ name: this.#name, kind: forKind, reconcile, concurrency: this.#options.concurrency, startBeforeSync: this.#options.startBeforeSync });
    for (const source of this.#sources) {
      const informer = this.#host.informer(source.kind);
      const deliver = (event: ObjectEvent) => {
        if (!source.predicates.every((p) => p(event))) return;
        const keys = new Set(source.map(event.obj));
        // An update reaches the objects the old version belonged to as well (controller-runtime
        // does the same): a Sandbox whose controller moved from a pool to a claim concerns both.
        if (event.type === 'update') for (const key of source.map(event.old)) keys.add(key);
        for (const key of keys) controller.enqueue(key);
      };
      const fire = (event: ObjectEvent) => {
        if (source.primary && event.type === 'update') {
          // The reconcile that wrote this version finished knowing it: nothing new to look at.
          if (this.#host.wrote?.(source.kind, event.obj)) return;
          const settling = this.#host.settling?.(source.kind, event.obj);
          if (settling) {
            void settling.then(() => {
              if (!this.#host.wrote?.(source.kind, event.obj)) deliver(event);
            });
            return;
          }
        }
        deliver(event);
      };
      const handlers: EventHandlers = {
        add: (obj) => fire({ type: 'add', obj }),
        update: (old, obj) => fire({ type: 'update', obj, old }),
        delete: (obj) => fire({ type: 'delete', obj }),
      };
      informer.addHandlers(handlers);
    }
    return controller;
  }

  #ownerKeys(obj: KubeObject): string[] {
    const forKind = this.#for;
    if (!forKind) return [];
    const apiVersion = apiVersionOf(forKind);
    const owner = obj.metadata.ownerReferences?.find((r) => r.controller === true);
    // Group and kind must match; the version may differ (an owner written at another version).
    if (!owner || owner.kind !== forKind.kind || groupOf(owner.apiVersion) !== groupOf(apiVersion)) return [];
    return [forKind.namespaced && obj.metadata.namespace ? `${obj.metadata.namespace}/${owner.name}` : owner.name];
  }
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}
