import { withTraceContext } from '@agent-sandbox/telemetry';
import { ApiError } from '../client/api-error.ts';
import { apiVersionOf, kindId, type ResourceKind } from '../client/kinds.ts';
import type { KubeClient } from '../client/kube-client.ts';
import { objectKey, type KubeObject, type ObjectRef } from '../client/objects.ts';
import { realClock, type Clock } from '../time/clock.ts';

export interface WriteOptions {
  /** The reconcile's signal: aborted when the controller stops. */
  signal?: AbortSignal;
}

/**
 * The one way a program writes (principle 5: one writer per field), with one field manager:
 *
 * - `apply` / `applyStatus`: server-side apply of the fields this program alone owns.
 * - `patch` / `patchStatus`: a JSON merge patch carrying the resourceVersion it was computed
 *   from, so the API server refuses it (409) if anyone wrote in between: for fields two actors
 *   may race for (adoption, reservation, a status others also write).
 * - `create`: an object this program owns, carrying the active trace context.
 * - `delete`: of exactly the object read (uid precondition; resourceVersion too when locked).
 *
 * A lint rule forbids raw client writes in apps/. The writer is the leader's fence: once
 * `fence()` is called (leadership lost) every write in flight is aborted and every new one
 * refused, whatever signal its caller passed. And it remembers the version each of its writes
 * produced, so the watch event that merely brings one back need not wake the reconcile that
 * made it (`wrote`).
 */
export class Writer {
  readonly fieldManager: string;
  readonly #client: KubeClient;
  readonly #clock: Clock;
  #fence = new AbortController();
  /** kind and key → the uid and resourceVersion of this process's last write, and when. */
  readonly #written = new Map<string, { uid?: string; resourceVersion?: string; at: number }>();
  /** kind and key → the writes of it still waiting for their answer, and when the last settles. */
  readonly #inFlight = new Map<string, { count: number; settled: Promise<void> }>();
  #sweepAt = 0;

  constructor(client: KubeClient, fieldManager: string, options: { clock?: Clock } = {}) {
    this.#client = client;
    this.fieldManager = fieldManager;
    this.#clock = options.clock ?? realClock;
  }

  /**
   * Whether `obj` is exactly the version this process's last write of it produced: its watch
   * event tells the reconcile that wrote it nothing it did not know when it finished.
   */
  wrote(kind: ResourceKind, obj: KubeObject): boolean {
    const last = this.#written.get(`${kindId(kind)}\u0000${objectKey(obj)}`);
    return last !== undefined && last.resourceVersion !== undefined && last.uid === obj.metadata.uid && last.resourceVersion === obj.metadata.resourceVersion;
  }

  /**
   * While a write of `obj` awaits its answer, a promise that settles once every such write has
   * been answered (and recorded); otherwise undefined. The watch event of a write can come
   * before its answer: whoever asks `wrote` about it should ask again once this settles.
   */
  settling(kind: ResourceKind, obj: KubeObject): Promise<void> | undefined {
    return this.#inFlight.get(`${kindId(kind)}\u0000${objectKey(obj)}`)?.settled;
  }

  async #record<T extends KubeObject>(kind: ResourceKind, target: KubeObject, write: Promise<T>): Promise<T> {
    // A create by generateName has no key until answered; no event of it can come before.
    const key = target.metadata.name ? `${kindId(kind)}\u0000${objectKey(target)}` : undefined;
    let done: () => void = () => {};
    if (key) {
      const answered = new Promise<void>((resolve) => (done = resolve));
      const before = this.#inFlight.get(key);
      this.#inFlight.set(key, { count: (before?.count ?? 0) + 1, settled: before ? Promise.all([before.settled, answered]).then(() => {}) : answered });
    }
    try {
      const obj = await write;
      const now = this.#clock.monotonic();
      if (obj?.metadata) this.#written.set(`${kindId(kind)}\u0000${objectKey(obj)}`, { uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, at: now });
      this.#sweep(now);
      return obj;
    } finally {
      if (key) {
        const entry = this.#inFlight.get(key)!;
        if (--entry.count === 0) this.#inFlight.delete(key);
        done();
      }
    }
  }

  #sweep(now: number): void {
    // Bounded: an entry whose event came (or never will) is of no use after a minute.
    if (now >= this.#sweepAt) {
      this.#sweepAt = now + 60_000;
      for (const [key, entry] of this.#written) if (entry.at + 60_000 < now) this.#written.delete(key);
    }
  }

  /** Aborts every write in flight and refuses new ones until `unfence`. */
  fence(reason = 'leadership lost'): void {
    this.#fence.abort(new ApiError(0, 'Fenced', `write refused: ${reason}`));
  }

  unfence(): void {
    if (this.#fence.signal.aborted) this.#fence = new AbortController();
  }

  get fenced(): boolean {
    return this.#fence.signal.aborted;
  }

  #signal(options: WriteOptions): AbortSignal {
    const fence = this.#fence.signal;
    if (fence.aborted) throw fence.reason;
    options.signal?.throwIfAborted();
    return options.signal ? AbortSignal.any([options.signal, fence]) : fence;
  }

  /**
   * Server-side apply of the fields this program owns. `obj` holds only those fields (the
   * apply configuration); `force` takes fields over from another manager (default true, as
   * controllers do for fields they are the only writer of). A `metadata.resourceVersion` in
   * `obj` makes the apply conditional on it.
   */
  apply<T extends KubeObject>(kind: ResourceKind, obj: KubeObject, options: WriteOptions & { force?: boolean } = {}): Promise<T> {
    const body = { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(kind), kind: obj.kind ?? kind.kind };
    return this.#record(kind, obj, this.#client.patch<T>(kind, refOf(obj), body, { type: 'apply', fieldManager: this.fieldManager, force: options.force ?? true, signal: this.#signal(options) }));
  }

  /** Server-side apply to the status subresource (`obj` carries metadata.name/namespace, optionally resourceVersion, and status). */
  applyStatus<T extends KubeObject>(kind: ResourceKind, obj: KubeObject, options: WriteOptions & { force?: boolean } = {}): Promise<T> {
    const { name, namespace, resourceVersion } = obj.metadata;
    const body = { apiVersion: apiVersionOf(kind), kind: kind.kind, metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}) }, status: obj.status };
    return this.#record(kind, obj, this.#client.patch<T>(kind, refOf(obj), body, {
      type: 'apply',
      subresource: 'status',
      fieldManager: this.fieldManager,
      force: options.force ?? true,
      signal: this.#signal(options),
    }));
  }

  /**
   * A JSON merge patch of `current`, refused with 409 Conflict if the object is no longer at
   * `current`'s resourceVersion. With `lock: false` it applies to whatever version is there: only
   * for fields no other actor writes (this program's own labels on an object it owns).
   */
  patch<T extends KubeObject>(kind: ResourceKind, current: KubeObject, patch: { metadata?: Record<string, unknown>; [field: string]: unknown }, options: WriteOptions & { lock?: boolean } = {}): Promise<T> {
    const body = options.lock === false ? patch : { ...patch, metadata: { ...patch.metadata, resourceVersion: lockOn(current, 'patch') } };
    return this.#record(kind, current, this.#client.patch<T>(kind, refOf(current), body, { type: 'merge', fieldManager: this.fieldManager, signal: this.#signal(options) }));
  }

  /**
   * Merge-patches `/status` only if the object is still at `current`'s resourceVersion: a 409
   * Conflict means someone wrote in between, and the reconcile should read again (throwing
   * retries with backoff).
   */
  patchStatus<T extends KubeObject>(kind: ResourceKind, current: KubeObject, status: unknown, options: WriteOptions = {}): Promise<T> {
    return this.#record(kind, current, this.#client.patch<T>(kind, refOf(current), { metadata: { resourceVersion: lockOn(current, 'patchStatus') }, status }, {
      type: 'merge',
      subresource: 'status',
      fieldManager: this.fieldManager,
      signal: this.#signal(options),
    }));
  }

  /**
   * Creates `obj` carrying the active trace context in its `opentelemetry.io/trace-context`
   * annotation, so the reconciles it causes join this trace.
   */
  create<T extends KubeObject>(kind: ResourceKind, obj: KubeObject, options: WriteOptions = {}): Promise<T> {
    const body = withTraceContext({ ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(kind), kind: obj.kind ?? kind.kind });
    return this.#record(kind, body, this.#client.create<T>(kind, body, { fieldManager: this.fieldManager, signal: this.#signal(options) }));
  }

  /**
   * Deletes exactly the object read: a uid precondition always (never a namesake made since),
   * and with `lock` its resourceVersion too (never a version changed since, such as a pool
   * member a claim has just taken, or a deadline just moved).
   */
  delete(kind: ResourceKind, obj: KubeObject, options: WriteOptions & { lock?: boolean; propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' } = {}): Promise<unknown> {
    const uid = obj.metadata.uid;
    if (!uid) throw new Error(`delete ${kind.kind} ${obj.metadata.name}: the object read has no uid to hold the delete to`);
    const preconditions = { uid, ...(options.lock ? { resourceVersion: lockOn(obj, 'delete') } : {}) };
    return this.#client.delete(kind, refOf(obj), { preconditions, propagationPolicy: options.propagationPolicy, signal: this.#signal(options) });
  }
}

function lockOn(obj: KubeObject, what: string): string {
  const rv = obj.metadata.resourceVersion;
  if (!rv) throw new Error(`${what} ${obj.kind ?? ''} ${obj.metadata.name}: the object read has no resourceVersion to lock on`);
  return rv;
}

function refOf(obj: KubeObject): ObjectRef {
  const name = obj.metadata.name;
  if (!name) throw new Error('write: the object has no metadata.name');
  return { name, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}) };
}
