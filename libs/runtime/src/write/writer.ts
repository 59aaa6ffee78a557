import { withTraceContext } from '@agent-sandbox/telemetry';
import { ApiError } from '../client/api-error.ts';
import { apiVersionOf, type ResourceKind } from '../client/kinds.ts';
import type { KubeClient } from '../client/kube-client.ts';
import type { KubeObject, ObjectRef } from '../client/objects.ts';

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
 * A lint rule forbids raw client writes in apps/. And the writer is the leader's fence: once
 * `fence()` is called (leadership lost) every write in flight is aborted and every new one
 * refused, whatever signal its caller passed.
 */
export class Writer {
  readonly fieldManager: string;
  readonly #client: KubeClient;
  #fence = new AbortController();

  constructor(client: KubeClient, fieldManager: string) {
    this.#client = client;
    this.fieldManager = fieldManager;
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
    return this.#client.patch<T>(kind, refOf(obj), body, { type: 'apply', fieldManager: this.fieldManager, force: options.force ?? true, signal: this.#signal(options) });
  }

  /** Server-side apply to the status subresource (`obj` carries metadata.name/namespace, optionally resourceVersion, and status). */
  applyStatus<T extends KubeObject>(kind: ResourceKind, obj: KubeObject, options: WriteOptions & { force?: boolean } = {}): Promise<T> {
    const { name, namespace, resourceVersion } = obj.metadata;
    const body = { apiVersion: apiVersionOf(kind), kind: kind.kind, metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}) }, status: obj.status };
    return this.#client.patch<T>(kind, refOf(obj), body, {
      type: 'apply',
      subresource: 'status',
      fieldManager: this.fieldManager,
      force: options.force ?? true,
      signal: this.#signal(options),
    });
  }

  /**
   * A JSON merge patch of `current`, refused with 409 Conflict if the object is no longer at
   * `current`'s resourceVersion. With `lock: false` it applies to whatever version is there: only
   * for fields no other actor writes (this program's own labels on an object it owns).
   */
  patch<T extends KubeObject>(kind: ResourceKind, current: KubeObject, patch: { metadata?: Record<string, unknown>; [field: string]: unknown }, options: WriteOptions & { lock?: boolean } = {}): Promise<T> {
    const body = options.lock === false ? patch : { ...patch, metadata: { ...patch.metadata, resourceVersion: lockOn(current, 'patch') } };
    return this.#client.patch<T>(kind, refOf(current), body, { type: 'merge', fieldManager: this.fieldManager, signal: this.#signal(options) });
  }

  /**
   * Merge-patches `/status` only if the object is still at `current`'s resourceVersion: a 409
   * Conflict means someone wrote in between, and the reconcile should read again (throwing
   * retries with backoff).
   */
  patchStatus<T extends KubeObject>(kind: ResourceKind, current: KubeObject, status: unknown, options: WriteOptions = {}): Promise<T> {
    return this.#client.patch<T>(kind, refOf(current), { metadata: { resourceVersion: lockOn(current, 'patchStatus') }, status }, {
      type: 'merge',
      subresource: 'status',
      fieldManager: this.fieldManager,
      signal: this.#signal(options),
    });
  }

  /**
   * Creates `obj` carrying the active trace context in its `opentelemetry.io/trace-context`
   * annotation, so the reconciles it causes join this trace.
   */
  create<T extends KubeObject>(kind: ResourceKind, obj: KubeObject, options: WriteOptions = {}): Promise<T> {
    const body = withTraceContext({ ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(kind), kind: obj.kind ?? kind.kind });
    return this.#client.create<T>(kind, body, { fieldManager: this.fieldManager, signal: this.#signal(options) });
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
