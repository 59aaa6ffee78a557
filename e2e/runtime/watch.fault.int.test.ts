import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectionPath, Informer, isGone, Kinds, objectKey, type KubeClient } from '@agent-sandbox/runtime';
import { controllerManagerServing, createTestNamespace, localControlPlane, type TestNamespace } from '@agent-sandbox/controlplane/testing';
import { acquireClusterLock, configMap, listConfigMaps, memoryLogger, pool, testClient, waitUntil, type ConfigMap } from './helpers.ts';

interface Seen {
  adds: Set<string>;
  updates: Map<string, string>;
  deletes: Map<string, boolean>;
}

function recordingInformer(client: KubeClient, namespace: string, tuning: { initialBackoffMs?: number; maxBackoffMs?: number; watchdogMs?: number } = {}) {
  const { log, lines } = memoryLogger();
  const informer = new Informer<ConfigMap>({ kind: Kinds.ConfigMap, client, log, namespace, ...tuning });
  const seen: Seen = { adds: new Set(), updates: new Map(), deletes: new Map() };
  informer.addHandlers({
    add: (obj) => seen.adds.add(obj.metadata.name!),
    update: (_old, obj) => seen.updates.set(obj.metadata.name!, obj.data?.v ?? ''),
    delete: (obj, info) => seen.deletes.set(obj.metadata.name!, info.finalStateUnknown),
  });
  return { informer, seen, lines };
}

/** Deletes `gone`, updates `changed` to v=2 and creates `born`. */
async function churn(client: KubeClient, namespace: string, gone: string[], changed: string[], born: string[]): Promise<void> {
  await pool(gone, 8, (name) => client.delete(Kinds.ConfigMap, { namespace, name }));
  await pool(changed, 8, (name) => client.patch(Kinds.ConfigMap, { namespace, name }, { data: { v: '2' } }, { type: 'merge' }));
  await pool(born, 8, (name) => client.create(Kinds.ConfigMap, configMap(namespace, name, { v: '1' })));
}

async function expectCacheMatchesServer(client: KubeClient, informer: Informer<ConfigMap>, namespace: string): Promise<void> {
  const fresh = await listConfigMaps(client, namespace);
  const server = new Map(fresh.map((c) => [objectKey(c), c.metadata.resourceVersion]));
  const cached = new Map(informer.store.list().map((c) => [objectKey(c), c.metadata.resourceVersion]));
  expect(cached).toEqual(server);
}

/** Whether a watch from `resourceVersion` is answered with 410 Gone. */
async function watchExpires(client: KubeClient, namespace: string, resourceVersion: string): Promise<boolean> {
  let expired = false;
  try {
    await client.stream(collectionPath(Kinds.ConfigMap, namespace), {
      query: { watch: true, resourceVersion, timeoutSeconds: 1 },
      onLine: (line) => {
        const event = line as { type: string; object: { code?: number } };
        if (event.type === 'ERROR' && event.object.code === 410) expired = true;
      },
    });
  } catch (err) {
    if (isGone(err)) expired = true;
  }
  return expired;
}

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('watch faults against a real API server', () => {
  let ns: TestNamespace;
  const client = testClient();
  let unlock: () => Promise<void> = async () => {};
  beforeAll(async () => {
    unlock = await acquireClusterLock();
    ns = await createTestNamespace('rt-watch');
  });
  afterAll(async () => {
    try {
      await ns.remove();
      // The restarts here leave the controller-manager backing off for a while: wait it out.
      if (await localControlPlane()) await controllerManagerServing();
    } finally {
      await unlock();
    }
  });

  it('relists on 410 Gone and delivers what changed meanwhile as adds, updates and deletes', async (ctx) => {
    const cp = await localControlPlane();
    if (!cp) return ctx.skip();
    await pool(names('gone', 10), 8, (name) => client.create(Kinds.ConfigMap, configMap(ns.name, name, { v: '1' })));
    const { informer, seen, lines } = recordingInformer(client, ns.name);
    informer.start();
    await informer.waitForSync();
    expect(informer.stats.lists).toBe(1);

    // Changes made while no watch is open, then a kube-apiserver restart: its new watch cache
    // starts after the informer's last resourceVersion, so resuming there is answered with
    // 410 Gone ("too old resource version") and only a relist can find the deletes.
    informer.pause();
    const before = informer.lastResourceVersion;
    await churn(client, ns.name, ['gone-0', 'gone-1', 'gone-2'], ['gone-3', 'gone-4'], ['gone-new-0', 'gone-new-1']);
    await cp.restart('kube-apiserver');
    // Until its watch cache is initialised the new apiserver serves watches from etcd, which
    // still has the history; wait until it answers like a cache that starts after `before`.
    await waitUntil('the apiserver to call the old resourceVersion too old', () => watchExpires(client, ns.name, before), 60_000, 200);
    informer.resume();

    await waitUntil('the relist to deliver the changes', () => seen.deletes.size === 3 && seen.updates.size === 2 && seen.adds.has('gone-new-1'));
    expect(informer.stats.expired).toBeGreaterThanOrEqual(1);
    expect(informer.stats.lists).toBe(2);
    expect(Number(informer.lastResourceVersion)).toBeGreaterThan(Number(before));
    expect(lines.some((l) => l.msg === 'watch expired (410 Gone): relisting')).toBe(true);
    expect([...seen.deletes.entries()].sort()).toEqual([['gone-0', true], ['gone-1', true], ['gone-2', true]]);
    expect([...seen.updates.entries()].sort()).toEqual([['gone-3', '2'], ['gone-4', '2']]);
    await expectCacheMatchesServer(client, informer, ns.name);

    // And the watch that follows the relist works.
    await client.delete(Kinds.ConfigMap, { namespace: ns.name, name: 'gone-5' });
    await waitUntil('the watched delete', () => seen.deletes.has('gone-5'));
    expect(seen.deletes.get('gone-5')).toBe(false);
    await informer.stop();
  });

  it('reopens a silent watch when the watchdog fires, missing nothing', async () => {
    const { informer, seen } = recordingInformer(client, ns.name, { watchdogMs: 1_000 });
    informer.start();
    await informer.waitForSync();
    await waitUntil('the watchdog', () => informer.stats.watchdogFired >= 1, 10_000);
    expect(informer.stats.watches).toBeGreaterThanOrEqual(2);
    await client.create(Kinds.ConfigMap, configMap(ns.name, 'after-watchdog', { v: '1' }));
    await waitUntil('the add after the watchdog', () => seen.adds.has('after-watchdog'));
    await informer.stop();
  });

  it('sees every change made while kube-apiserver restarts, deletes included', async (ctx) => {
    const cp = await localControlPlane();
    if (!cp) return ctx.skip();
    await pool(names('rs', 20), 8, (name) => client.create(Kinds.ConfigMap, configMap(ns.name, name, { v: '1' })));
    const { informer, seen, lines } = recordingInformer(client, ns.name, { initialBackoffMs: 200, maxBackoffMs: 1_000 });
    informer.start();
    await informer.waitForSync();

    await cp.stop('kube-apiserver');
    await waitUntil('the informer to notice the lost apiserver', () => lines.some((l) => l.msg === 'watch failed' || l.msg === 'list failed'), 30_000);
    // Hold the informer off until the changes are made, so they happen while it is disconnected.
    informer.pause();
    await cp.start('kube-apiserver');
    await churn(client, ns.name, ['rs-0', 'rs-1', 'rs-2', 'rs-3'], ['rs-4', 'rs-5'], ['rs-new-0', 'rs-new-1']);
    const watchesBefore = informer.stats.watches;
    informer.resume();

    await waitUntil('the changes made around the restart', () => ['rs-0', 'rs-1', 'rs-2', 'rs-3'].every((n) => seen.deletes.has(n)) && seen.updates.size === 2 && seen.adds.has('rs-new-1'), 90_000, 100);
    expect(lines.some((l) => l.msg === 'watch failed' || l.msg === 'list failed')).toBe(true);
    expect([...seen.updates.values()]).toEqual(['2', '2']);
    await expectCacheMatchesServer(client, informer, ns.name);
    console.log(
      `apiserver restart: watches after resuming ${informer.stats.watches - watchesBefore}, relists ${informer.stats.lists - 1}, 410s ${informer.stats.expired}`,
    );
    await informer.stop();
  });
});
