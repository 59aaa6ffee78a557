/**
 * A typed client for one of our kinds on top of client-node's CustomObjectsApi. Every write
 * names a field manager; patches are JSON merge patches (optionally guarded by a
 * resourceVersion precondition) or server-side apply; status and scale go through their
 * subresources.
 */
import {
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type KubeConfig,
} from '@kubernetes/client-node';
import type { KubeObject, ObjectMeta } from '../kinds/meta.ts';
import type { ResourceInfo } from '../resources.ts';
import { KubeApiError } from './errors.ts';

export type DeepPartial<T> = T extends readonly (infer U)[]
  ? DeepPartial<U>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** What server-side apply takes: the fields this manager owns, identity included. */
export type ApplyObject<T extends KubeObject> = DeepPartial<Omit<T, 'metadata'>> & {
  metadata: ObjectMeta & { name: string; namespace: string };
};

export interface ObjectList<T> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; the response's metadata.continue fetches the next page. */
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent<T> {
  type: WatchEventType;
  /** For BOOKMARK only metadata.resourceVersion is meaningful. */
  object: T;
}

export interface WatchOptions {
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  allowWatchBookmarks?: boolean;
  /** Server-side timeout: the server ends the watch after this long. */
  timeoutSeconds?: number;
  /** Stops the watch; the iteration then ends without an error. */
  signal?: AbortSignal;
}

export interface WriteOptions {
  fieldManager: string;
  dryRun?: boolean;
  /** What the server does with unknown or duplicate fields (server default: Warn, i.e. drop them). */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

export interface PatchOptions extends WriteOptions {
  /** Optimistic lock: the patch fails with 409 Conflict unless the object is at this version. */
  resourceVersion?: string;
}

export interface ApplyOptions extends WriteOptions {
  /** Take over fields other managers own instead of failing with a conflict. */
  force?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  /** Delete only the object with this uid / at this resourceVersion (409 Conflict otherwise). */
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

/** autoscaling/v1 Scale, as the scale subresource returns it. */
export interface Scale {
  apiVersion: 'autoscaling/v1';
  kind: 'Scale';
  metadata: ObjectMeta;
  spec: { replicas?: number };
  status: { replicas: number; selector?: string };
}

const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const APPLY_PATCH = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
const ALL = 'All';

export class ResourceClient<T extends KubeObject> {
  readonly resource: ResourceInfo;
  readonly #kc: KubeConfig;
  readonly #api: CustomObjectsApi;

  constructor(kc: KubeConfig, resource: ResourceInfo) {
    this.resource = resource;
    this.#kc = kc;
    this.#api = kc.makeApiClient(CustomObjectsApi);
  }

  get #gvp() {
    return { group: this.resource.group, version: this.resource.version, plural: this.resource.plural };
  }

  async #call<R>(action: string, fn: () => Promise<R>): Promise<R> {
    try {
      return await fn();
    } catch (err) {
      throw KubeApiError.from(err, `${action} ${this.resource.kind}`);
    }
  }

  get(namespace: string, name: string): Promise<T> {
    return this.#call(`get ${namespace}/${name}:`, () => this.#api.getNamespacedCustomObject({ ...this.#gvp, namespace, name }));
  }

  /** One page; `namespace` undefined lists all namespaces. */
  list(namespace: string | undefined, options: ListOptions = {}): Promise<ObjectList<T>> {
    const query = {
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      limit: options.limit,
      _continue: options.continue,
      resourceVersion: options.resourceVersion,
      resourceVersionMatch: options.resourceVersionMatch,
    };
    return this.#call('list', () =>
      namespace === undefined
        ? this.#api.listClusterCustomObject({ ...this.#gvp, ...query })
        : this.#api.listNamespacedCustomObject({ ...this.#gvp, namespace, ...query }),
    );
  }

  /** Every page of a list (one consistent snapshot), with the list's resourceVersion to watch from. */
  async listAll(namespace: string | undefined, options: Omit<ListOptions, 'continue'> = {}): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let page = await this.list(namespace, { limit: 500, ...options });
    items.push(...page.items);
    while (page.metadata.continue) {
      page = await this.list(namespace, { limit: 500, ...options, continue: page.metadata.continue });
      items.push(...page.items);
    }
    return { items, resourceVersion: page.metadata.resourceVersion ?? '' };
  }

  /**
   * Watch events until the server ends the watch or `signal` aborts it. An ERROR event (e.g.
   * 410 Gone: the resourceVersion is too old) is thrown as a KubeApiError; the caller relists.
   */
  async *watch(namespace: string | undefined, options: WatchOptions = {}): AsyncGenerator<WatchEvent<T>, void, undefined> {
    const r = this.resource;
    const path = namespace === undefined
      ? `/apis/${r.group}/${r.version}/${r.plural}`
      : `/apis/${r.group}/${r.version}/namespaces/${encodeURIComponent(namespace)}/${r.plural}`;
    const queue: (WatchEvent<T> | { error: unknown } | { done: true })[] = [];
    let wake: (() => void) | undefined;
    const push = (item: (typeof queue)[number]) => {
      queue.push(item);
      wake?.();
    };
    const controller = await new Watch(this.#kc).watch(
      path,
      {
        resourceVersion: options.resourceVersion,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        allowWatchBookmarks: options.allowWatchBookmarks,
        timeoutSeconds: options.timeoutSeconds,
      },
      (type, object) => {
        if (type === 'ERROR') {
          const status = object as { code?: number; message?: string; reason?: string };
          push({ error: new KubeApiError(status.code ?? 500, `watch ${r.kind}: ${status.message ?? 'error'}`, status.reason) });
        } else {
          push({ type: type as WatchEventType, object: object as T });
        }
      },
      (err) => push(err && !options.signal?.aborted && (err as Error).name !== 'AbortError' ? { error: err } : { done: true }),
    );
    const onAbort = () => {
      controller.abort();
      push({ done: true });
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    try {
      for (;;) {
        const item = queue.shift();
        if (item === undefined) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        if ('done' in item) return;
        if ('error' in item) throw item.error;
        yield item;
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      controller.abort();
    }
  }

  create(obj: T, options: WriteOptions): Promise<T> {
    const namespace = requireNamespace(obj.metadata);
    return this.#call('create', () =>
      this.#api.createNamespacedCustomObject({ ...this.#gvp, namespace, body: obj, fieldManager: options.fieldManager, fieldValidation: options.fieldValidation, dryRun: dryRun(options.dryRun) }),
    );
  }

  async delete(namespace: string, name: string, options: DeleteOptions = {}): Promise<void> {
    await this.#call(`delete ${namespace}/${name}:`, () =>
      this.#api.deleteNamespacedCustomObject({
        ...this.#gvp,
        namespace,
        name,
        propagationPolicy: options.propagationPolicy,
        gracePeriodSeconds: options.gracePeriodSeconds,
        dryRun: dryRun(options.dryRun),
        body: {
          ...(options.propagationPolicy ? { propagationPolicy: options.propagationPolicy } : {}),
          ...(options.preconditions ? { preconditions: options.preconditions } : {}),
        },
      }),
    );
  }

  /** JSON merge patch of the object (not its status). */
  mergePatch(namespace: string, name: string, patch: DeepPartial<T> | Record<string, unknown>, options: PatchOptions): Promise<T> {
    return this.#call(`patch ${namespace}/${name}:`, () =>
      this.#api.patchNamespacedCustomObject(
        { ...this.#gvp, namespace, name, body: withResourceVersion(patch, options.resourceVersion), fieldManager: options.fieldManager, fieldValidation: options.fieldValidation, dryRun: dryRun(options.dryRun) },
        MERGE_PATCH,
      ),
    );
  }

  /** Server-side apply of the object (status fields in it are ignored: use applyStatus). */
  apply(obj: ApplyObject<T>, options: ApplyOptions): Promise<T> {
    const { name, namespace } = obj.metadata;
    return this.#call(`apply ${namespace}/${name}:`, () =>
      this.#api.patchNamespacedCustomObject(
        { ...this.#gvp, namespace, name, body: this.#typed(obj), fieldManager: options.fieldManager, fieldValidation: options.fieldValidation, force: options.force, dryRun: dryRun(options.dryRun) },
        APPLY_PATCH,
      ),
    );
  }

  getStatus(namespace: string, name: string): Promise<T> {
    return this.#call(`get status of ${namespace}/${name}:`, () =>
      this.#api.getNamespacedCustomObjectStatus({ ...this.#gvp, namespace, name }),
    );
  }

  /** JSON merge patch through the status subresource (only `status` changes). */
  mergePatchStatus(namespace: string, name: string, patch: DeepPartial<T> | Record<string, unknown>, options: PatchOptions): Promise<T> {
    return this.#call(`patch status of ${namespace}/${name}:`, () =>
      this.#api.patchNamespacedCustomObjectStatus(
        { ...this.#gvp, namespace, name, body: withResourceVersion(patch, options.resourceVersion), fieldManager: options.fieldManager, fieldValidation: options.fieldValidation, dryRun: dryRun(options.dryRun) },
        MERGE_PATCH,
      ),
    );
  }

  /** Server-side apply through the status subresource: the manager owns the status fields it sends. */
  applyStatus(obj: ApplyObject<T>, options: ApplyOptions): Promise<T> {
    const { name, namespace } = obj.metadata;
    return this.#call(`apply status of ${namespace}/${name}:`, () =>
      this.#api.patchNamespacedCustomObjectStatus(
        { ...this.#gvp, namespace, name, body: this.#typed(obj), fieldManager: options.fieldManager, fieldValidation: options.fieldValidation, force: options.force, dryRun: dryRun(options.dryRun) },
        APPLY_PATCH,
      ),
    );
  }

  getScale(namespace: string, name: string): Promise<Scale> {
    return this.#call(`get scale of ${namespace}/${name}:`, () =>
      this.#api.getNamespacedCustomObjectScale({ ...this.#gvp, namespace, name }),
    );
  }

  /** Sets spec.replicas through the scale subresource (merge patch, optionally version-guarded). */
  patchScale(namespace: string, name: string, replicas: number, options: PatchOptions): Promise<Scale> {
    return this.#call(`scale ${namespace}/${name}:`, () =>
      this.#api.patchNamespacedCustomObjectScale(
        { ...this.#gvp, namespace, name, body: withResourceVersion({ spec: { replicas } }, options.resourceVersion), fieldManager: options.fieldManager, fieldValidation: options.fieldValidation, dryRun: dryRun(options.dryRun) },
        MERGE_PATCH,
      ),
    );
  }

  /** Apply needs apiVersion and kind in the body; fill them in when the caller left them out. */
  #typed(obj: ApplyObject<T>): object {
    return { apiVersion: this.resource.apiVersion, kind: this.resource.kind, ...obj };
  }
}

function requireNamespace(metadata: ObjectMeta): string {
  if (!metadata.namespace) throw new Error('metadata.namespace is required');
  return metadata.namespace;
}

function dryRun(on: boolean | undefined): string | undefined {
  return on ? ALL : undefined;
}

function withResourceVersion(patch: object, resourceVersion: string | undefined): object {
  if (resourceVersion === undefined) return patch;
  const metadata = (patch as { metadata?: object }).metadata ?? {};
  return { ...patch, metadata: { ...metadata, resourceVersion } };
}
