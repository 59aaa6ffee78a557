/**
 * The Sandbox controller starts reconciling while its caches still fill (after a restart at
 * scale the first lists take seconds). A Sandbox is reconciled early only when its Pod, Service
 * and PVCs are all cached; one whose Pod has not arrived yet must not get a second Pod. The
 * controllers run in this process, against the real API server, so that the test can hold back
 * caches (the informer's fault hook).
 */
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { consistently, waitUntil } from '@agent-sandbox/runtime/testing';
import { createLogger, createMetricsRegistry } from '@agent-sandbox/telemetry';
import { KubeClient, Kinds, Manager, type KubeObject } from '@agent-sandbox/runtime';
import { registerControllers } from './controllers.ts';
import { SandboxKind, type SandboxObject } from './kinds.ts';

const kc = new KubeConfig();
kc.loadFromFile(inject('kubeconfig'));
const client = new KubeClient(kc);
const ns = `sc-early-${randomBytes(3).toString('hex')}`;

/** The sandbox-controller's controllers in this process, on their own metrics. */
function sandboxController(): Manager {
  const manager = new Manager({
    name: 'sandbox-controller',
    client,
    log: createLogger({ program: 'sandbox-controller-test', level: 'silent' }),
    namespace: ns,
    registry: createMetricsRegistry({ defaultMetrics: false }),
  });
  registerControllers(manager, { sandboxWorkers: 2, templateWorkers: 1, clusterDomain: 'cluster.local' });
  return manager;
}

const podsNow = async () => (await client.list<KubeObject>(Kinds.Pod, { namespace: ns })).items.map((p) => `${p.metadata.name}/${p.metadata.uid}`).sort();

describe('sandbox-controller started before its caches have synced', () => {
  beforeAll(async () => {
    await client.create(Kinds.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  });
  afterAll(async () => {
    await client.delete(Kinds.Namespace, { name: ns }).catch(() => undefined);
    client.close();
  });

  it('reconciles the Sandboxes whose objects are all cached, and waits for the Pods before anything that needs them', async () => {
    const names = ['e-0', 'e-1', 'e-2'];
    // Converged first: Pods made (whether they run does not matter here).
    const first = sandboxController();
    await first.start();
    await Promise.all(
      names.map((name) =>
        client.create<SandboxObject>(SandboxKind, {
          apiVersion: 'agents.x-k8s.io/v1beta1',
          kind: 'Sandbox',
          metadata: { name, namespace: ns },
          spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'registry.example/runtime:1' }] } } },
        }),
      ),
    );
    await waitUntil('a Pod per Sandbox', async () => (await podsNow()).length === names.length);
    await first.stop();
    const podsBefore = await podsNow();

    // Started again with the Pods' and the PVCs' first lists held back.
    const manager = sandboxController();
    const pods = manager.informer(Kinds.Pod);
    const pvcs = manager.informer(Kinds.PersistentVolumeClaim);
    pods.pause();
    pvcs.pause();
    const outcomes = async (result: string) =>
      (await manager.metrics.reconcileTotal.get()).values.filter((v) => v.labels.controller === 'sandbox' && v.labels.result === result).reduce((n, v) => n + v.value, 0);
    const started = manager.start();
    try {
      // Each Sandbox is looked at, and set aside: its Pod may exist without being cached yet.
      await waitUntil('every Sandbox set aside until the sync', async () => (await outcomes('requeue')) >= names.length);
      await consistently(
        'no Pod made, and no reconcile done, while the Pods are not cached',
        async () => (await outcomes('success')) === 0 && (await podsNow()).join() === podsBefore.join(),
        1_500,
      );

      // The Pods arrive; the PVCs still have not (none of these Sandboxes has one): each is
      // reconciled now, before the manager has synced.
      pods.resume();
      await waitUntil('every Sandbox reconciled before the sync', async () => (await outcomes('success')) >= names.length);
      expect(manager.ready()).toBe(false);

      pvcs.resume();
      await started;
      expect(manager.ready()).toBe(true);
      expect(await outcomes('error')).toBe(0);
      expect(await podsNow()).toEqual(podsBefore);
    } finally {
      pods.resume();
      pvcs.resume();
      await manager.stop();
    }
  });
});
