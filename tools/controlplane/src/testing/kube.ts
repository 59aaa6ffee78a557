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

export interface TestNamespace {
  name: string;
  /** Deletes the namespace (and waits for it to go when `wait` is set). */
  remove(options?: { wait?: boolean }): Promise<void>;
}

/**
 * A fresh namespace `<prefix>-<random>` whose default ServiceAccount exists (Pods are refused
 * by the ServiceAccount admission plugin until the controller-manager has made it).
 */
export async function createTestNamespace(prefix: string, kc: KubeConfig = testKubeConfig()): Promise<TestNamespace> {
  const api = kc.makeApiClient(CoreV1Api);
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await api.createNamespace({ body: { metadata: { name, labels: { 'agent-sandbox.test/namespace': 'true' } } } });
  await waitFor(`ServiceAccount default in ${name}`, async () => {
    await api.readNamespacedServiceAccount({ name: 'default', namespace: name });
    return true;
  }, 30_000, 50);
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
