import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { ControlPlane } from '../cluster.ts';
import { waitFor } from '../http-probe.ts';

/** The administrator's client configuration for the cluster of this test run. */
export function testKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(inject('kubeconfig'));
  return kc;
}

/**
 * The local control plane of this run, for tests that stop or restart its components.
 * Undefined when the run uses a cluster given by KUBECONFIG.
 */
export async function localControlPlane(): Promise<ControlPlane | undefined> {
  const name = inject('localCluster');
  return name ? ControlPlane.open(name) : undefined;
}

/**
 * Waits until the controller-manager serves again after a fault test restarted kube-apiserver
 * or etcd: a new API server refuses requests (403) until its authorizer has read the RBAC
 * objects, and the controller-manager's reflectors back off on those refusals (client-go: up
 * to 30 s), during which a new namespace gets no default ServiceAccount. A test that restarts
 * them calls this before it ends, so the next one finds the cluster as healthy as it was.
 */
export async function controllerManagerServing(kc: KubeConfig = testKubeConfig()): Promise<void> {
  const probe = await createTestNamespace('settle', kc, { serviceAccountTimeoutMs: 120_000 });
  await probe.remove();
}

export interface TestNamespace {
  name: string;
  /** Deletes the namespace (and waits for it to go when `wait` is set). */
  remove(options?: { wait?: boolean }): Promise<void>;
}

/**
 * A fresh namespace `<prefix>-<random>` whose default ServiceAccount exists (Pods are refused
 * by the ServiceAccount admission plugin until the controller-manager has made it).
 */
export async function createTestNamespace(prefix: string, kc: KubeConfig = testKubeConfig(), options: { serviceAccountTimeoutMs?: number } = {}): Promise<TestNamespace> {
  const api = kc.makeApiClient(CoreV1Api);
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await api.createNamespace({ body: { metadata: { name, labels: { 'agent-sandbox.test/namespace': 'true' } } } });
  await waitFor(`ServiceAccount default in ${name}`, async () => {
    await api.readNamespacedServiceAccount({ name: 'default', namespace: name });
    return true;
  }, options.serviceAccountTimeoutMs ?? 30_000, 50);
  return {
    name,
    async remove(options = {}) {
      await api.deleteNamespace({ name }).catch(() => undefined);
      if (options.wait) {
        await waitFor(`namespace ${name} to be deleted`, async () => {
          try {
            await api.readNamespace({ name });
            return false;
          } catch (err) {
            return (err as { code?: number }).code === 404;
          }
        }, 60_000, 100);
      }
    },
  };
}
