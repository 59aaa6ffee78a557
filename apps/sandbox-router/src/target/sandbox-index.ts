import { POD_NAME_ANNOTATION, SANDBOX, SANDBOX_CLAIM, SANDBOX_NAME_HASH_LABEL } from '@agent-sandbox/api';
import { Informer, Kinds, type KubeClient, type KubeObject } from '@agent-sandbox/runtime';
import type { Logger } from '@agent-sandbox/telemetry';
import { claimOf, podNameOf, resolveTarget, type Resolution, type RoutedPod, type RoutedSandbox } from './resolve.ts';
import type { TargetRequest } from './target-headers.ts';

const CLAIM_BY_SANDBOX = 'claim-by-sandbox';

/** True when a resolution may change as the router's watch catches up. */
const mayChange = (r: Resolution) => r.kind === 'not-found' || r.kind === 'not-ready';

/**
 * The router's own view of Sandboxes, their Pods and the claims holding them: informers (list
 * + watch), so a request is routed and authorized from memory and never waits on the API server
 * or DNS. Only what routing reads is kept of each object. Pods are watched only when they carry
 * the sandbox-name-hash label that every sandbox's Pod has.
 */
export class SandboxIndex {
  readonly sandboxes: Informer;
  readonly pods: Informer;
  readonly claims: Informer;
  /** Requests waiting for news of a namespace's Sandboxes, Pods or claims. */
  readonly #waiters = new Map<string, Set<() => void>>();

  constructor(options: { client: KubeClient; log: Logger; namespace?: string }) {
    const common = { client: options.client, log: options.log, ...(options.namespace ? { namespace: options.namespace } : {}) };
    this.sandboxes = new Informer({ ...common, kind: SANDBOX, transform: keepSandbox });
    this.pods = new Informer({ ...common, kind: Kinds.Pod, labelSelector: SANDBOX_NAME_HASH_LABEL, transform: keepPod });
    this.claims = new Informer({ ...common, kind: SANDBOX_CLAIM, transform: keepClaim });
    this.claims.store.addIndexer(CLAIM_BY_SANDBOX, (claim) => {
      const name = (claim.status as { sandbox?: { name?: string } } | undefined)?.sandbox?.name;
      return name ? [`${claim.metadata.namespace}/${name}`] : [];
    });
    const wake = (obj: KubeObject) => this.#wake(obj.metadata.namespace ?? '');
    for (const informer of this.#all()) informer.addHandlers({ add: wake, update: (_old, obj) => wake(obj), delete: wake });
  }

  #all(): Informer[] {
    return [this.sandboxes, this.pods, this.claims];
  }

  start(): void {
    for (const informer of this.#all()) informer.start();
  }

  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    for (const informer of this.#all()) if (!(await informer.waitForSync(signal))) return false;
    return true;
  }

  hasSynced(): boolean {
    return this.#all().every((i) => i.hasSynced());
  }

  sandbox(namespace: string, name: string): RoutedSandbox | undefined {
    return this.sandboxes.store.get(`${namespace}/${name}`) as unknown as RoutedSandbox | undefined;
  }

  /**
   * The claim holding a Sandbox: its controlling owner, or, when the Sandbox is gone, the claim
   * whose status still names it (so its user learns it is gone, rather than being refused).
   */
  claimFor(namespace: string, name: string): string | undefined {
    const sandbox = this.sandbox(namespace, name);
    const owner = sandbox ? claimOf(sandbox) : undefined;
    if (owner) return owner;
    return this.claims.store.byIndex(CLAIM_BY_SANDBOX, `${namespace}/${name}`)[0]?.metadata.name;
  }

  resolve(request: TargetRequest): Resolution {
    const sandbox = this.sandbox(request.namespace, request.name);
    const pod = sandbox ? (this.pods.store.get(`${request.namespace}/${podNameOf(sandbox)}`) as unknown as RoutedPod | undefined) : undefined;
    return resolveTarget(request, sandbox, pod);
  }

  /**
   * Like `resolve`, but when the Sandbox is unknown or not routable yet, waits up to `waitMs` for
   * the router's watch to bring news of its namespace and tries again. A client that saw its
   * claim Ready through its own watch may ask before the router's watch delivered the same
   * events; without the wait it would be told "not found" about a Sandbox that exists.
   */
  async resolveWithin(request: TargetRequest, waitMs: number, signal?: AbortSignal): Promise<Resolution> {
    const deadline = performance.now() + waitMs;
    for (;;) {
      const resolution = this.resolve(request);
      const left = deadline - performance.now();
      if (!mayChange(resolution) || left <= 0 || signal?.aborted) return resolution;
      await this.#news(request.namespace, left, signal);
    }
  }

  /** Waits, at most `waitMs`, for the Sandbox to be known to the router (true) or not (false). */
  async awaitKnown(namespace: string, name: string, waitMs: number, signal?: AbortSignal): Promise<boolean> {
    return (await this.#awaitSeen(namespace, waitMs, signal, () => this.sandbox(namespace, name))) !== undefined;
  }

  /**
   * Waits, at most `waitMs`, for the router to see a claim holding the Sandbox, and names it. A
   * warm pool member is adopted by its claim moments before the claim turns Ready: a client that
   * saw that may ask before the router's watch delivered the adoption.
   */
  awaitClaim(namespace: string, name: string, waitMs: number, signal?: AbortSignal): Promise<string | undefined> {
    return this.#awaitSeen(namespace, waitMs, signal, () => this.claimFor(namespace, name));
  }

  /** `seen()` once it is defined, waking on each piece of news of the namespace; undefined at the deadline. */
  async #awaitSeen<T>(namespace: string, waitMs: number, signal: AbortSignal | undefined, seen: () => T | undefined): Promise<T | undefined> {
    const deadline = performance.now() + waitMs;
    for (;;) {
      const value = seen();
      if (value !== undefined) return value;
      const left = deadline - performance.now();
      if (left <= 0 || signal?.aborted) return undefined;
      await this.#news(namespace, left, signal);
    }
  }

  #news(namespace: string, waitMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      let waiters = this.#waiters.get(namespace);
      if (!waiters) this.#waiters.set(namespace, (waiters = new Set()));
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        waiters.delete(done);
        if (waiters.size === 0 && this.#waiters.get(namespace) === waiters) this.#waiters.delete(namespace);
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      signal?.addEventListener('abort', done, { once: true });
      waiters.add(done);
    });
  }

  #wake(namespace: string): void {
    const waiters = this.#waiters.get(namespace);
    if (waiters) for (const done of [...waiters]) done();
  }

  async stop(): Promise<void> {
    await Promise.all(this.#all().map((i) => i.stop()));
  }
}

type Meta = KubeObject['metadata'];

function keepMeta(meta: Meta, extra: Partial<Meta> = {}): Meta {
  return {
    name: meta.name,
    namespace: meta.namespace,
    uid: meta.uid,
    resourceVersion: meta.resourceVersion,
    ...(meta.deletionTimestamp ? { deletionTimestamp: meta.deletionTimestamp } : {}),
    ...(meta.ownerReferences ? { ownerReferences: meta.ownerReferences.filter((r) => r.controller === true) } : {}),
    ...extra,
  };
}

function keepReady(conditions: unknown): unknown[] | undefined {
  return Array.isArray(conditions) ? conditions.filter((c: { type?: string }) => c.type === 'Ready') : undefined;
}

function keepSandbox(obj: KubeObject): KubeObject {
  const podName = obj.metadata.annotations?.[POD_NAME_ANNOTATION];
  const status = obj.status as { conditions?: unknown } | undefined;
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: keepMeta(obj.metadata, podName ? { annotations: { [POD_NAME_ANNOTATION]: podName } } : {}),
    status: { conditions: keepReady(status?.conditions) },
  };
}

function keepPod(obj: KubeObject): KubeObject {
  const status = (obj.status ?? {}) as { phase?: string; podIP?: string; podIPs?: unknown; conditions?: unknown };
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: keepMeta(obj.metadata),
    status: { phase: status.phase, podIP: status.podIP, podIPs: status.podIPs, conditions: keepReady(status.conditions) },
  };
}

function keepClaim(obj: KubeObject): KubeObject {
  const sandbox = (obj.status as { sandbox?: { name?: string } } | undefined)?.sandbox;
  return { apiVersion: obj.apiVersion, kind: obj.kind, metadata: keepMeta(obj.metadata), status: sandbox?.name ? { sandbox: { name: sandbox.name } } : {} };
}
