import { randomBytes } from 'node:crypto';
import { ClaimFailedError, ClaimRefusedError, KubernetesApiError, SandboxGoneError, SandboxReadyTimeoutError, type ClaimCondition } from './errors.ts';
import type { KubeApi } from './kube/kube-api.ts';

export const CLAIM_GROUP = 'extensions.agents.x-k8s.io';
export const CLAIM_VERSION = 'v1beta1';
export const CLAIM_API_VERSION = `${CLAIM_GROUP}/${CLAIM_VERSION}`;
export const CREATED_BY_LABEL = 'agents.x-k8s.io/created-by';
export const CLIENT_FIRST_REQUESTED_AT = 'agents.x-k8s.io/client-first-requested-at';

/** Claim Ready reasons a client treats as final (the standard's list): waiting will not help. */
export const FINAL_CLAIM_REASONS: ReadonlySet<string> = new Set(['InvalidMetadata', 'EnvVarsInjectionRejected', 'VolumeClaimTemplatesError', 'ClaimExpired', 'SandboxExpired']);

/** A SandboxClaim as the SDK reads it. */
export interface SandboxClaim {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; uid?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string>; creationTimestamp?: string; deletionTimestamp?: string };
  spec: Record<string, unknown>;
  status?: { conditions?: ClaimCondition[]; sandbox?: { name?: string; podIPs?: string[] } };
}

export interface ClaimSpecOptions {
  warmPool: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** The claim expires this long after creation (spec.lifecycle.shutdownTime = now + N, policy Delete). */
  shutdownAfterSeconds?: number;
  volumeClaimTemplates?: unknown[];
  additionalPodMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  env?: Array<{ name: string; value: string; containerName?: string }>;
}

export function claimsPath(namespace: string, name?: string): string {
  return `/apis/${CLAIM_GROUP}/${CLAIM_VERSION}/namespaces/${encodeURIComponent(namespace)}/sandboxclaims${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** `sandbox-claim-<8 hex>`. */
export function newClaimName(): string {
  return `sandbox-claim-${randomBytes(4).toString('hex')}`;
}

/** RFC 3339 with nanoseconds, as the standard's latency annotations carry. */
function nowRfc3339Nano(now = new Date()): string {
  return now.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

export function claimBody(name: string, namespace: string, options: ClaimSpecOptions, now = new Date()): SandboxClaim {
  const spec: Record<string, unknown> = { warmPoolRef: { name: options.warmPool } };
  if (options.shutdownAfterSeconds !== undefined) {
    const at = new Date(now.getTime() + options.shutdownAfterSeconds * 1000);
    spec.lifecycle = { shutdownTime: at.toISOString().replace(/\.\d{3}Z$/, 'Z'), shutdownPolicy: 'Delete' };
  }
  if (options.volumeClaimTemplates) spec.volumeClaimTemplates = options.volumeClaimTemplates;
  if (options.additionalPodMetadata) spec.additionalPodMetadata = options.additionalPodMetadata;
  if (options.env) spec.env = options.env;
  return {
    apiVersion: CLAIM_API_VERSION,
    kind: 'SandboxClaim',
    metadata: {
      name,
      namespace,
      labels: { ...options.labels, [CREATED_BY_LABEL]: 'typescript-client' },
      annotations: { ...options.annotations, [CLIENT_FIRST_REQUESTED_AT]: nowRfc3339Nano(now) },
    },
    spec,
  };
}

export function readyCondition(claim: SandboxClaim | undefined): ClaimCondition | undefined {
  return claim?.status?.conditions?.find((c) => c.type === 'Ready');
}

/** Creates the claim; a refusal by the API server becomes a ClaimRefusedError with its message. */
export async function createClaim(api: KubeApi, body: SandboxClaim, signal?: AbortSignal): Promise<SandboxClaim> {
  try {
    return await api.request<SandboxClaim>('POST', claimsPath(body.metadata.namespace), { body, signal });
  } catch (err) {
    if (err instanceof KubernetesApiError) throw new ClaimRefusedError(err.status, err.reason, err.message);
    throw err;
  }
}

/**
 * Waits for the claim to be Ready with one watch from the resourceVersion its create returned
 * (so no change in between is missed, and nothing is polled). Fails at once on a final reason
 * or when the claim is deleted, and with the last Ready condition seen when time runs out.
 */
export async function waitForReady(api: KubeApi, created: SandboxClaim, options: { timeoutMs: number; signal?: AbortSignal }): Promise<SandboxClaim> {
  const { name, namespace } = created.metadata;
  let last = readyCondition(created);
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
  let resourceVersion = created.metadata.resourceVersion ?? '';
  try {
    for (;;) {
      const query = new URLSearchParams({
        watch: 'true',
        fieldSelector: `metadata.name=${name}`,
        resourceVersion,
        timeoutSeconds: String(Math.ceil(options.timeoutMs / 1000) + 5),
      });
      for await (const event of api.watch<SandboxClaim>(`${claimsPath(namespace)}?${query}`, signal)) {
        if (event.type === 'ERROR') {
          const status = event.object as unknown as { code?: number; message?: string; reason?: string };
          throw new KubernetesApiError(status.code ?? 500, status.reason ?? 'Unknown', status.message ?? 'watch error');
        }
        if (event.type === 'DELETED') throw new SandboxGoneError(`claim ${namespace}/${name} was deleted while waiting for it to be Ready`);
        if (event.type === 'BOOKMARK') continue;
        resourceVersion = event.object.metadata.resourceVersion ?? resourceVersion;
        const ready = readyCondition(event.object);
        last = ready ?? last;
        if (ready?.status === 'True' && event.object.status?.sandbox?.name) return event.object;
        if (ready?.status === 'False' && ready.reason && FINAL_CLAIM_REASONS.has(ready.reason)) throw new ClaimFailedError(name, ready);
      }
      options.signal?.throwIfAborted();
      if (timeout.signal.aborted) throw new SandboxReadyTimeoutError(name, last, options.timeoutMs);
      // The server ended the watch early (its own limit): go on from where it stopped.
    }
  } catch (err) {
    options.signal?.throwIfAborted();
    if (timeout.signal.aborted) throw new SandboxReadyTimeoutError(name, last, options.timeoutMs);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Deletes a claim (background propagation: its Sandbox and Pod follow); a missing one is fine. */
export async function deleteClaim(api: KubeApi, namespace: string, name: string, signal?: AbortSignal): Promise<void> {
  try {
    await api.request('DELETE', claimsPath(namespace, name), { body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' }, signal });
  } catch (err) {
    if (err instanceof KubernetesApiError && err.status === 404) return;
    throw err;
  }
}
