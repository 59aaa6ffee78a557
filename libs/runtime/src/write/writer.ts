import { withTraceContext } from '@agent-sandbox/telemetry';
import { apiVersionOf, type ResourceKind } from '../client/kinds.ts';
import type { KubeClient } from '../client/kube-client.ts';
import type { KubeObject } from '../client/objects.ts';

/**
 * Writes with one field manager per program (principle 5: one writer per field). Spec and
 * metadata go through server-side apply; status goes through `/status`, either applied or
 * merge-patched under an optimistic lock.
 */
export class Writer {
  readonly fieldManager: string;
  readonly #client: KubeClient;

  constructor(client: KubeClient, fieldManager: string) {
    this.#client = client;
    this.fieldManager = fieldManager;
  }

  /**
   * Server-side apply of the fields this program owns. `obj` holds only those fields (the
   * apply configuration); `force` takes fields over from another manager (default true, as
   * controllers do for fields they are the only writer of).
   */
  apply<T extends KubeObject>(kind: ResourceKind, obj: KubeObject, options: { force?: boolean; signal?: AbortSignal } = {}): Promise<T> {
    const body = { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(kind), kind: obj.kind ?? kind.kind };
    return this.#client.patch<T>(kind, refOf(obj), body, { type: 'apply', fieldManager: this.fieldManager, force: options.force ?? true, signal: options.signal });
  }

  /** Server-side apply to the status subresource (`obj` carries metadata.name/namespace and status). */
  applyStatus<T extends KubeObject>(kind: ResourceKind, obj: KubeObject, options: { force?: boolean; signal?: AbortSignal } = {}): Promise<T> {
    const body = { apiVersion: apiVersionOf(kind), kind: kind.kind, metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace }, status: obj.status };
    return this.#client.patch<T>(kind, refOf(obj), body, {
      type: 'apply',
      subresource: 'status',
      fieldManager: this.fieldManager,
      force: options.force ?? true,
      signal: options.signal,
    });
  }

  /**
   * Merge-patches `/status` only if the object is still at `current`'s resourceVersion: a 409
   * Conflict means someone wrote in between, and the reconcile should read again (throwing
   * retries with backoff).
   */
  patchStatus<T extends KubeObject>(kind: ResourceKind, current: KubeObject, status: unknown, options: { signal?: AbortSignal } = {}): Promise<T> {
    const resourceVersion = current.metadata.resourceVersion;
    if (!resourceVersion) throw new Error('patchStatus: the current object has no resourceVersion to lock on');
    return this.#client.patch<T>(kind, refOf(current), { metadata: { resourceVersion }, status }, {
      type: 'merge',
      subresource: 'status',
      fieldManager: this.fieldManager,
      signal: options.signal,
    });
  }

  /**
   * Creates `obj` carrying the active trace context in its `opentelemetry.io/trace-context`
   * annotation, so the reconciles it causes join this trace.
   */
  create<T extends KubeObject>(kind: ResourceKind, obj: KubeObject, options: { signal?: AbortSignal } = {}): Promise<T> {
    const body = withTraceContext({ ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(kind), kind: obj.kind ?? kind.kind });
    return this.#client.create<T>(kind, body, { fieldManager: this.fieldManager, signal: options.signal });
  }
}

function refOf(obj: KubeObject): { namespace?: string; name: string } {
  const name = obj.metadata.name;
  if (!name) throw new Error('write: the object has no metadata.name');
  return { name, ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}) };
}
