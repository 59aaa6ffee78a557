import { claimBody, claimsPath, createClaim, deleteClaim, newClaimName, readyCondition, waitForReady, type ClaimSpecOptions, type SandboxClaim } from './claims.ts';
import { SandboxTransport, type Connection, type SandboxAddress } from './data/connection.ts';
import { ClaimRefusedError, KubernetesApiError, SandboxError, SandboxGoneError } from './errors.ts';
import { KubeApi } from './kube/kube-api.ts';
import { loadClusterAccess, type ClusterAccess } from './kube/kubeconfig.ts';
import { Sandbox } from './sandbox.ts';

export interface SandboxClientOptions {
  /** A kubeconfig file; default: $KUBECONFIG, ~/.kube/config, then the in-cluster ServiceAccount. */
  kubeconfig?: string;
  context?: string;
  /** Resolved cluster access, instead of a kubeconfig. */
  access?: ClusterAccess;
  /** Default namespace of claims (else the context's, else "default"). */
  namespace?: string;
  /** How to reach sandboxes; default: the router at $AGENT_SANDBOX_ROUTER_URL. */
  connection?: Connection;
}

export interface CreateOptions extends Omit<ClaimSpecOptions, 'warmPool'> {
  /** The SandboxWarmPool to claim from. */
  warmPool: string;
  namespace?: string;
  /** How long to wait for the claim to be Ready (default 180 s). */
  readyTimeoutMs?: number;
  signal?: AbortSignal;
}

/** A claim as listed. */
export interface ClaimSummary {
  name: string;
  namespace: string;
  sandboxName?: string;
  ready: boolean;
  createdAt?: Date;
}

/**
 * Claims sandboxes from warm pools and hands them out ready to use. Creating one makes a
 * SandboxClaim named `sandbox-claim-<8 hex>`, waits (one watch) for it to be Ready and deletes it
 * again if anything fails on the way. `await using sandbox = await client.create(…)` deletes the
 * claim when the block ends.
 */
export class SandboxClient {
  readonly api: KubeApi;
  readonly namespace: string;
  readonly #connection: Connection | undefined;
  readonly #active = new Map<string, Sandbox>();

  constructor(options: SandboxClientOptions = {}) {
    const access = options.access ?? loadClusterAccess({ kubeconfig: options.kubeconfig, context: options.context });
    this.api = new KubeApi(access);
    this.namespace = options.namespace ?? access.namespace ?? 'default';
    const routerUrl = process.env.AGENT_SANDBOX_ROUTER_URL;
    this.#connection = options.connection ?? (routerUrl ? { mode: 'router', url: routerUrl } : undefined);
  }

  async create(options: CreateOptions): Promise<Sandbox> {
    const namespace = options.namespace ?? this.namespace;
    const name = newClaimName();
    try {
      const created = await createClaim(this.api, claimBody(name, namespace, options), options.signal);
      const ready = await waitForReady(this.api, created, { timeoutMs: options.readyTimeoutMs ?? 180_000, signal: options.signal });
      return this.#attach(ready);
    } catch (err) {
      // Whatever went wrong (timeout, final reason, abort), the claim must not linger: also when
      // the create's answer was lost (aborted in flight, connection reset), as the API server may
      // have made it; only a create the API server refused made nothing (and the name may be another's).
      if (!(err instanceof ClaimRefusedError)) await deleteClaim(this.api, namespace, name, AbortSignal.timeout(30_000)).catch(() => undefined);
      throw err;
    }
  }

  /** A claim that exists and is Ready, as a Sandbox (it is not deleted when this client goes away). */
  async get(claimName: string, options: { namespace?: string; signal?: AbortSignal } = {}): Promise<Sandbox> {
    const namespace = options.namespace ?? this.namespace;
    let claim: SandboxClaim;
    try {
      claim = await this.api.request<SandboxClaim>('GET', claimsPath(namespace, claimName), { signal: options.signal });
    } catch (err) {
      if (err instanceof KubernetesApiError && err.status === 404) throw new SandboxGoneError(`claim ${namespace}/${claimName} does not exist`);
      throw err;
    }
    const ready = readyCondition(claim);
    if (ready?.status !== 'True' || !claim.status?.sandbox?.name) {
      throw new SandboxError(`claim ${namespace}/${claimName} is not Ready (${ready?.reason ?? 'no Ready condition'}${ready?.message ? `: ${ready.message}` : ''})`);
    }
    return this.#attach(claim);
  }

  /** The sandboxes this client created and has not terminated. */
  listActive(): Sandbox[] {
    return [...this.#active.values()];
  }

  /** Every claim of the namespace (made by any client). */
  async listAll(options: { namespace?: string; signal?: AbortSignal } = {}): Promise<ClaimSummary[]> {
    const namespace = options.namespace ?? this.namespace;
    const list = await this.api.request<{ items: SandboxClaim[] }>('GET', claimsPath(namespace), { signal: options.signal });
    return list.items.map((c) => ({
      name: c.metadata.name,
      namespace: c.metadata.namespace,
      sandboxName: c.status?.sandbox?.name,
      ready: readyCondition(c)?.status === 'True',
      createdAt: c.metadata.creationTimestamp ? new Date(c.metadata.creationTimestamp) : undefined,
    }));
  }

  /** Deletes a claim by name (its Sandbox and Pod follow). */
  async delete(claimName: string, options: { namespace?: string; signal?: AbortSignal } = {}): Promise<void> {
    const namespace = options.namespace ?? this.namespace;
    this.#active.delete(`${namespace}/${claimName}`);
    await deleteClaim(this.api, namespace, claimName, options.signal);
  }

  /** Terminates every sandbox this client created. */
  async deleteAll(): Promise<void> {
    await Promise.all([...this.#active.values()].map((s) => s.terminate()));
  }

  /** Terminates what this client created and releases its connections. */
  async close(): Promise<void> {
    try {
      await this.deleteAll();
    } finally {
      this.api.close();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #attach(claim: SandboxClaim): Sandbox {
    if (!this.#connection) throw new SandboxError('no connection configured: pass `connection` ({ mode: "router", url }) or set AGENT_SANDBOX_ROUTER_URL');
    const { name, namespace } = claim.metadata;
    const address: SandboxAddress = { namespace, sandboxName: claim.status!.sandbox!.name!, podIPs: claim.status?.sandbox?.podIPs ?? [] };
    const transport = new SandboxTransport(this.#connection, address, () => this.api.bearerToken());
    const key = `${namespace}/${name}`;
    const sandbox = new Sandbox(name, address, transport, async () => {
      this.#active.delete(key);
      await deleteClaim(this.api, namespace, name);
    });
    this.#active.set(key, sandbox);
    return sandbox;
  }
}

