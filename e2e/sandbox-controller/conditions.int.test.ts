import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kinds } from '@agent-sandbox/runtime';
import { conditionOf, consistently, controllerSuite, eventually, kube, podSpec, sandbox, SandboxKind, type Obj, type Suite } from './harness.ts';

const FNV = (s: string) => {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
};

const pod = (name: string, metadata: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): Obj => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, ...metadata },
  spec: { ...podSpec(), ...spec },
});

/** What the ttl-reaper writes at shutdownTime under Retain: the expired-at annotation. */
const EXPIRED_AT = 'agents.x-k8s.io/expired-at';
const expiredAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');

describe('sandbox-controller: conditions, adoption, expiry', () => {
  let suite: Suite;
  let k: ReturnType<typeof kube>;
  let ns: string;
  beforeAll(async () => {
    suite = await controllerSuite('sc-cond');
    ns = suite.ns.name;
    k = kube(suite.admin, ns);
    await suite.start();
  });
  afterAll(async () => {
    await suite?.teardown();
  });

  async function expire(name: string): Promise<void> {
    await k.mergePatch(SandboxKind, name, { metadata: { annotations: { [EXPIRED_AT]: expiredAt } } });
  }

  it('mirrors an unschedulable Pod: Pending, PodScheduled=False', async () => {
    await k.create(SandboxKind, sandbox(ns, 'stuck', { podTemplate: { spec: podSpec({ nodeSelector: { 'no-such-node': 'x' } }) } }));
    const s = await eventually('PodScheduled=False', () => k.getSandbox('stuck'), (x) => conditionOf(x, 'PodScheduled')?.status === 'False');
    expect(conditionOf(s, 'PodScheduled')?.reason).toBe('Unschedulable');
    expect(conditionOf(s, 'Ready')).toMatchObject({ status: 'False', reason: 'DependenciesNotReady', message: 'Pod exists with phase: Pending' });
    expect(conditionOf(s, 'PodScheduled')?.message).toMatch(/nodes are available/);
    expect(s.status.nodeName).toBeUndefined();
  });

  it('reports PodFailed and PodSucceeded in Ready and Finished, and keeps Finished across expiry', async () => {
    for (const [name, phase, reason] of [['fails', 'Failed', 'PodFailed'], ['succeeds', 'Succeeded', 'PodSucceeded']] as const) {
      await k.create(SandboxKind, sandbox(ns, name));
      await k.waitCondition(name, 'Ready', 'True', 'DependenciesReady');
      await k.mergePatch(Kinds.Pod, name, { status: { phase, conditions: [{ type: 'Ready', status: 'False' }] } }, 'status');
      const ended = await k.waitCondition(name, 'Finished', 'True', reason);
      expect(conditionOf(ended, 'Ready')).toMatchObject({ status: 'False', reason });
    }
    // Expiry: the reaper marks it and deletes the Pod; nothing comes back, Finished stays.
    await expire('fails');
    const expired = await k.waitCondition('fails', 'Ready', 'False', 'SandboxExpired');
    expect(conditionOf(expired, 'Ready')?.message).toBe('Sandbox has expired');
    await k.delete(Kinds.Pod, 'fails');
    await eventually('pod gone', () => k.gone(Kinds.Pod, 'fails'), Boolean);
    await consistently('no Pod of fails made again', () => k.gone(Kinds.Pod, 'fails'), 1_500);
    const after = await k.getSandbox('fails');
    expect(conditionOf(after, 'Finished')).toMatchObject({ status: 'True', reason: 'PodFailed' });
    expect(conditionOf(after, 'Ready')?.reason).toBe('SandboxExpired');
    expect(after.status.conditions.map((c: { type: string }) => c.type).sort()).toEqual(['Finished', 'Ready', 'Suspended']);
  });

  it('never recreates the Pod or Service of an expired sandbox', async () => {
    await k.create(SandboxKind, sandbox(ns, 'late', { service: true }));
    await k.waitCondition('late', 'Ready', 'True', 'DependenciesReady');
    await expire('late');
    await k.waitCondition('late', 'Ready', 'False', 'SandboxExpired');
    await k.delete(Kinds.Pod, 'late');
    await k.delete(Kinds.Service, 'late');
    await eventually('pod gone', () => k.gone(Kinds.Pod, 'late'), Boolean);
    await consistently('no Pod or Service of late made again', async () => (await k.gone(Kinds.Pod, 'late')) && (await k.gone(Kinds.Service, 'late')), 1_500);
    const s = await k.getSandbox('late');
    expect(s.status.podIPs).toBeUndefined();
    expect(s.status.service).toBeUndefined();
    expect(conditionOf(s, 'PodScheduled')).toBeUndefined();
    // The expiry is the reaper's annotation, untouched; the status holds only its conditions.
    expect(s.metadata.annotations?.[EXPIRED_AT]).toBe(expiredAt);
    expect(Object.keys(s.status).sort()).toEqual(['conditions']);
  });

  it('with two controlled Pods: MultiplePods, a Warning event, nothing created or deleted — not even when suspended', async () => {
    const s = await k.create(SandboxKind, sandbox(ns, 'twins'));
    await k.waitCondition('twins', 'Ready', 'True', 'DependenciesReady');
    const ref = { apiVersion: 'agents.x-k8s.io/v1beta1', kind: 'Sandbox', name: 'twins', uid: s.metadata.uid!, controller: true };
    await k.create(Kinds.Pod, pod('twins-extra', { ownerReferences: [ref] }));
    const multiple = await k.waitCondition('twins', 'Ready', 'False', 'MultiplePods');
    expect(multiple.status.podIPs).toBeUndefined();
    await eventually('warning event', () => k.events(), (events) => events.some((e) => e.involvedObject.name === 'twins' && e.type === 'Warning' && e.reason === 'MultiplePods'));

    await k.mergePatch(SandboxKind, 'twins', { spec: { operatingMode: 'Suspended' } });
    await k.waitCondition('twins', 'Suspended', 'Unknown', 'PodStateUnknown');
    await consistently('neither twin deleted', async () => {
      const pods = (await k.pods()).filter((p) => p.metadata.ownerReferences?.[0]?.uid === s.metadata.uid);
      return pods.map((p) => p.metadata.name).sort().join() === 'twins,twins-extra' && pods.every((p) => !p.metadata.deletionTimestamp);
    }, 1_000);

    // One left: the suspension proceeds.
    await k.delete(Kinds.Pod, 'twins-extra');
    await k.waitCondition('twins', 'Suspended', 'True', 'PodTerminated', 60_000);
    expect(await k.gone(Kinds.Pod, 'twins')).toBe(true);
  });

  it('leaves an unowned Pod without consent alone (ReconcilerError; PodNotOwned when suspended) and adopts it once labelled adoptable', async () => {
    const before = await k.create(Kinds.Pod, pod('taken', { labels: { app: 'mine' } }));
    await k.create(SandboxKind, sandbox(ns, 'taken'));
    const blocked = await k.waitCondition('taken', 'Ready', 'False', 'ReconcilerError');
    expect(conditionOf(blocked, 'Ready')?.message).toMatch(/Pod taken exists and is not owned by this Sandbox/);
    expect((await k.getPod('taken')).metadata.ownerReferences).toBeUndefined();

    await k.mergePatch(SandboxKind, 'taken', { spec: { operatingMode: 'Suspended' } });
    await k.waitCondition('taken', 'Suspended', 'False', 'PodNotOwned');
    expect((await k.getPod('taken')).metadata.deletionTimestamp).toBeUndefined();

    await k.mergePatch(SandboxKind, 'taken', { spec: { operatingMode: 'Running' } });
    await k.mergePatch(Kinds.Pod, 'taken', { metadata: { labels: { 'agents.x-k8s.io/adoptable': 'true' } } });
    const ready = await k.waitCondition('taken', 'Ready', 'True', 'DependenciesReady');
    const adopted = await k.getPod('taken');
    expect(adopted.metadata.uid).toBe(before.metadata.uid);
    expect(adopted.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Sandbox', uid: ready.metadata.uid, controller: true })]);
    expect(adopted.metadata.labels).toMatchObject({ app: 'mine', 'agents.x-k8s.io/sandbox-name-hash': FNV('taken') });
    await eventually('adoption event', () => k.events(), (events) => events.some((e) => e.involvedObject.name === 'taken' && e.reason === 'AdoptedPod'));
  });

  it('adopts an unowned Pod, Service and PVC that carry the sandbox\'s name hash or the adoptable label', async () => {
    const hash = FNV('kept');
    const p = await k.create(Kinds.Pod, pod('kept', { labels: { 'agents.x-k8s.io/sandbox-name-hash': hash } }));
    const svc = await k.create(Kinds.Service, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'kept', labels: { 'agents.x-k8s.io/adoptable': 'true' } }, spec: { clusterIP: 'None', ports: [{ name: 'old', port: 1 }] } });
    const pvc = await k.create(Kinds.PersistentVolumeClaim, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data-kept', labels: { 'agents.x-k8s.io/adoptable': 'true' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    const s = await k.create(SandboxKind, sandbox(ns, 'kept', {
      service: true,
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    }));
    const owned = (o: Obj) => o.metadata.ownerReferences?.some((r) => r.uid === s.metadata.uid && r.controller === true) === true;
    const adoptedPod = await eventually('pod adopted', () => k.getPod('kept'), owned);
    const adoptedSvc = await eventually('service adopted', () => k.getService('kept'), owned);
    const adoptedPvc = await eventually('pvc adopted', () => k.getPvc('data-kept'), owned);
    expect([adoptedPod.metadata.uid, adoptedSvc.metadata.uid, adoptedPvc.metadata.uid]).toEqual([p.metadata.uid, svc.metadata.uid, pvc.metadata.uid]);
    expect(adoptedSvc.spec.ports.map((x: { name: string; port: number }) => `${x.name}:${x.port}`)).toEqual(['http:8888']);
    expect(adoptedPvc.metadata.labels?.['agents.x-k8s.io/sandbox-name-hash']).toBe(hash);
    // The adopted Pod kept its spec (no claim volume was added to it).
    expect(adoptedPod.spec.volumes?.some((v: { name: string }) => v.name === 'data') ?? false).toBe(false);
    await k.waitCondition('kept', 'Ready', 'True', 'DependenciesReady');
  });

  it('never touches objects controlled by someone else, and creates no Pod while a PVC is in the way', async () => {
    const owner = await k.create(Kinds.ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other-owner' } });
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'other-owner', uid: owner.metadata.uid!, controller: true };
    await k.create(Kinds.Pod, pod('elsewhere', { ownerReferences: [ref], labels: { 'agents.x-k8s.io/adoptable': 'true' } }));
    await k.create(SandboxKind, sandbox(ns, 'elsewhere'));
    const s = await k.waitCondition('elsewhere', 'Ready', 'False', 'ReconcilerError');
    expect(conditionOf(s, 'Ready')?.message).toMatch(/Pod elsewhere exists and is controlled by ConfigMap other-owner/);
    expect((await k.getPod('elsewhere')).metadata.ownerReferences).toEqual([ref]);

    await k.create(Kinds.PersistentVolumeClaim, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data-blocked', ownerReferences: [ref], labels: { 'agents.x-k8s.io/adoptable': 'true' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
    await k.create(SandboxKind, sandbox(ns, 'blocked', { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] }));
    const b = await k.waitCondition('blocked', 'Ready', 'False', 'ReconcilerError');
    expect(conditionOf(b, 'Ready')?.message).toMatch(/PersistentVolumeClaim data-blocked exists and is controlled by ConfigMap other-owner/);
    await consistently('no Pod made and the foreign PVC left as it is', async () => (await k.gone(Kinds.Pod, 'blocked')) && JSON.stringify((await k.getPvc('data-blocked')).metadata.ownerReferences) === JSON.stringify([ref]), 1_000);
  });
});
