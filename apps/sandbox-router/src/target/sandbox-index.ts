import { POD_NAME_ANNOTATION, SANDBOX, SANDBOX_NAME_HASH_LABEL } from '@agent-sandbox/api';
import { Informer, Kinds, type KubeClient, type KubeObject } from '@agent-sandbox/runtime';
import type { Logger } from '@agent-sandbox/telemetry';
import { podNameOf, resolveTarget, type Resolution, type RoutedPod, type RoutedSandbox } from './resolve.ts';
import type { TargetRequest } from './target-headers.ts';

/**
 * The router's own view of Sandboxes and their Pods: two informers (list + watch), so a request
 * is routed from memory and never waits on the API server or DNS. Only what routing reads is
 * kept of each object. Pods are watched only when they carry the sandbox-name-hash label that
 * every sandbox's Pod has.
 */
export class SandboxIndex {
  readonly sandboxes: Informer;
  readonly pods: Informer;

  constructor(options: { client: KubeClient; log: Logger; namespace?: string }) {
    const common = { client: options.client, log: options.log, ...(options.namespace ? { namespace: options.namespace } : {}) };
    this.sandboxes = new Informer({ ...common, kind: SANDBOX, transform: keepSandbox });
    this.pods = new Informer({ ...common, kind: Kinds.Pod, labelSelector: SANDBOX_NAME_HASH_LABEL, transform: keepPod });
  }

  start(): void {
    this.sandboxes.start();
    this.pods.start();
  }

  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    return (await this.sandboxes.waitForSync(signal)) && (await this.pods.waitForSync(signal));
  }

  hasSynced(): boolean {
    return this.sandboxes.hasSynced() && this.pods.hasSynced();
  }

  sandbox(namespace: string, name: string): RoutedSandbox | undefined {
    return this.sandboxes.store.get(`${namespace}/${name}`) as unknown as RoutedSandbox | undefined;
  }

  resolve(request: TargetRequest): Resolution {
    const sandbox = this.sandbox(request.namespace, request.name);
    const pod = sandbox ? (this.pods.store.get(`${request.namespace}/${podNameOf(sandbox)}`) as unknown as RoutedPod | undefined) : undefined;
    return resolveTarget(request, sandbox, pod);
  }

  async stop(): Promise<void> {
    await Promise.all([this.sandboxes.stop(), this.pods.stop()]);
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
