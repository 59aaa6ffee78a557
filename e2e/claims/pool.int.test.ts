/**
 * The pool's and the claim's behaviours one by one, with the three programs as processes:
 * scale up and down, Recreate on a template change, a claim waiting for its pool and
 * template, and claimed members outliving their pool.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kinds } from '@agent-sandbox/runtime';
import { claim, ClaimKind, consistently, controllerUid, pool, PoolKind, readyOf, SandboxKind, suite, template, TemplateKind, waitUntil, WARM_LABEL, type Obj, type Suite } from './harness.ts';

describe('warm pools and claims', () => {
  let s: Suite;
  let ns: string;
  beforeAll(async () => {
    s = await suite('claims-pool');
    ns = s.ns.name;
    await Promise.all([s.start('sandbox-controller'), s.start('warmpool-orchestrator', ['--ready-grace-period=5s']), s.start('claim-controller')]);
  }, 120_000);
  afterAll(async () => s?.teardown(), 120_000);

  const members = async (poolName: string) => {
    const p = await s.admin.get<Obj>(PoolKind, { namespace: ns, name: poolName });
    return (await s.admin.list<Obj>(SandboxKind, { namespace: ns })).items.filter((x) => controllerUid(x) === p.metadata.uid && !x.metadata.deletionTimestamp);
  };
  const getPool = (name: string) => s.admin.get<Obj>(PoolKind, { namespace: ns, name });

  it('scales up and down through the scale subresource, with the member labels and secure defaults', async () => {
    await s.admin.create(TemplateKind, template(ns, 'scale-t'));
    await s.admin.create(PoolKind, pool(ns, 'scale', 'scale-t', 2));
    await waitUntil('2 Ready', async () => (await getPool('scale')).status?.readyReplicas === 2);
    const [m] = await members('scale');
    expect(m!.metadata.labels).toMatchObject({ 'agents.x-k8s.io/launch-type': 'warm', [WARM_LABEL]: expect.stringMatching(/^[0-9a-f]{8}$/) });
    expect(m!.spec.podTemplate.spec.automountServiceAccountToken).toBe(false);
    // An unclaimed member's Pod may be evicted; its pod template says nothing of it (taking it then changes no spec).
    await waitUntil('the member\'s Pod safe to evict', async () => (await s.admin.get<Obj>(Kinds.Pod, { namespace: ns, name: m!.metadata.name! }).catch(() => undefined))?.metadata.annotations?.['cluster-autoscaler.kubernetes.io/safe-to-evict'] === 'true');
    expect(m!.spec.podTemplate.metadata?.annotations?.['cluster-autoscaler.kubernetes.io/safe-to-evict']).toBeUndefined();
    const scale = (n: number) => s.admin.patch(PoolKind, { namespace: ns, name: 'scale' }, { spec: { replicas: n } }, { type: 'merge', subresource: 'scale' });
    await scale(5);
    await waitUntil('5 Ready', async () => (await getPool('scale')).status?.readyReplicas === 5);
    await scale(1);
    await waitUntil('1 member', async () => (await members('scale')).length === 1 && (await getPool('scale')).status?.replicas === 1);
    const p = await getPool('scale');
    expect(p.status.selector).toBe(`${WARM_LABEL}=${m!.metadata.labels![WARM_LABEL]}`);
    expect(p.status.observedGeneration).toBe(p.metadata.generation);
  });

  it('Recreate replaces stale members at once when the template changes', async () => {
    await s.admin.create(TemplateKind, template(ns, 'rec-t'));
    await s.admin.create(PoolKind, pool(ns, 'rec', 'rec-t', 2, { type: 'Recreate' }));
    await waitUntil('2 Ready', async () => (await getPool('rec')).status?.readyReplicas === 2);
    const before = new Set((await members('rec')).map((x) => x.metadata.name));
    await s.admin.patch(TemplateKind, { namespace: ns, name: 'rec-t' }, { spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'registry.example/runtime:2' }] } } } }, { type: 'merge' });
    await waitUntil('all members replaced and Ready', async () => {
      const now = await members('rec');
      return now.length === 2 && now.every((x) => !before.has(x.metadata.name!)) && (await getPool('rec')).status?.readyReplicas === 2;
    }, 60_000);
    expect((await members('rec')).every((x) => x.spec.podTemplate.spec.containers[0].image === 'registry.example/runtime:2')).toBe(true);
  });

  it('holds an unschedulable member and says so', async () => {
    await s.admin.create(TemplateKind, template(ns, 'stuck-t', { nodeSelector: { 'no-such-node': 'x' } }));
    await s.admin.create(PoolKind, pool(ns, 'stuck', 'stuck-t', 1));
    await waitUntil('Progressing NotProgressing', async () => {
      const c = ((await getPool('stuck')).status?.conditions ?? []).find((x: { type: string }) => x.type === 'Progressing');
      return c?.reason === 'NotProgressing';
    }, 60_000);
    expect(await members('stuck')).toHaveLength(1);
  });

  it('a claim waits for its pool and template and recovers when they appear; claimed members outlive the pool', async () => {
    await s.admin.create(ClaimKind, claim(ns, 'early', 'late-pool'));
    const readyReason = async () => readyOf(await s.admin.get<Obj>(ClaimKind, { namespace: ns, name: 'early' }))?.reason;
    await waitUntil('WarmPoolNotFound', async () => (await readyReason()) === 'WarmPoolNotFound');
    await s.admin.create(PoolKind, pool(ns, 'late-pool', 'late-t', 1));
    await waitUntil('TemplateNotFound', async () => (await readyReason()) === 'TemplateNotFound');
    await s.admin.create(TemplateKind, template(ns, 'late-t'));
    await waitUntil('claim Ready', async () => readyOf(await s.admin.get<Obj>(ClaimKind, { namespace: ns, name: 'early' }))?.status === 'True', 60_000);

    await waitUntil('pool Ready', async () => (await getPool('late-pool')).status?.readyReplicas === 1);
    await s.admin.create(ClaimKind, claim(ns, 'warm-one', 'late-pool'));
    await waitUntil('warm claim Ready', async () => readyOf(await s.admin.get<Obj>(ClaimKind, { namespace: ns, name: 'warm-one' }))?.status === 'True', 60_000);
    const bound = (await s.admin.get<Obj>(ClaimKind, { namespace: ns, name: 'warm-one' })).status.sandbox.name as string;
    expect(bound).not.toBe('warm-one');
    await s.admin.delete(PoolKind, { namespace: ns, name: 'late-pool' });
    await waitUntil('pool gone', async () => s.admin.get(PoolKind, { namespace: ns, name: 'late-pool' }).then(() => false, () => true));
    // The garbage collector has had its chance and more: the claimed member stays, unmarked.
    await consistently('the claimed member outlives its pool', async () => {
      const survivor = await s.admin.get<Obj>(SandboxKind, { namespace: ns, name: bound });
      return survivor.metadata.deletionTimestamp === undefined && survivor.metadata.labels?.[WARM_LABEL] === undefined;
    }, 3_000);
  });

  it('rejects a claim with reserved pod metadata or env the template forbids, without binding it', async () => {
    await s.admin.create(TemplateKind, template(ns, 'strict-t'));
    await s.admin.create(PoolKind, pool(ns, 'strict', 'strict-t', 0));
    await s.admin.create(ClaimKind, claim(ns, 'bad-env', 'strict', { env: [{ name: 'A', value: '1' }] }));
    // No admission webhook in this suite: the API server stores it, and the controller refuses it.
    await s.admin.create(ClaimKind, claim(ns, 'bad-meta', 'strict', { additionalPodMetadata: { labels: { 'example.com/x': '1' } } }));
    await waitUntil('EnvVarsInjectionRejected', async () => readyOf(await s.admin.get<Obj>(ClaimKind, { namespace: ns, name: 'bad-env' }))?.reason === 'EnvVarsInjectionRejected');
    await waitUntil('InvalidMetadata', async () => readyOf(await s.admin.get<Obj>(ClaimKind, { namespace: ns, name: 'bad-meta' }))?.reason === 'InvalidMetadata');
    for (const name of ['bad-env', 'bad-meta']) await expect(s.admin.get(SandboxKind, { namespace: ns, name }), `no Sandbox ${name}`).rejects.toMatchObject({ code: 404 });
    expect((await s.admin.list<Obj>(SandboxKind, { namespace: ns })).items.filter((x) => x.metadata.labels?.['agents.x-k8s.io/claim-uid'] && ['bad-env', 'bad-meta'].includes(x.metadata.ownerReferences?.[0]?.name ?? ''))).toEqual([]);
  });

  it('records Events for claims and claimed sandboxes, not for the routine progress of unclaimed members', async () => {
    type Ev = Obj & { reason: string; involvedObject: { kind: string; name: string } };
    const events = async () => (await s.admin.list<Ev>(Kinds.Event, { namespace: ns })).items;
    const reasonsFor = (list: Ev[], kind: string, name: string) => list.filter((e) => e.involvedObject.kind === kind && e.involvedObject.name === name).map((e) => e.reason);
    await s.admin.create(TemplateKind, template(ns, 'ev-t'));
    await s.admin.create(PoolKind, pool(ns, 'ev', 'ev-t', 2));
    await s.admin.create(PoolKind, pool(ns, 'ev-empty', 'ev-t', 0));
    await waitUntil('2 Ready', async () => (await getPool('ev')).status?.readyReplicas === 2);
    const warm = (await members('ev')).map((m) => m.metadata.name!);

    await s.admin.create(ClaimKind, claim(ns, 'ev-warm', 'ev'));
    await s.admin.create(ClaimKind, claim(ns, 'ev-cold', 'ev-empty'));
    // A cold sandbox belongs to its claim from the start: its progress is worth an Event.
    await waitUntil('the cold sandbox\'s Events', async () => {
      const reasons = reasonsFor(await events(), 'Sandbox', 'ev-cold');
      return reasons.includes('PodCreated') && reasons.includes('SandboxReady');
    }, 60_000);
    await waitUntil('SandboxAdopted on the warm claim', async () => reasonsFor(await events(), 'SandboxClaim', 'ev-warm').includes('SandboxAdopted'), 60_000);
    const all = await events();
    for (const name of warm) expect(reasonsFor(all, 'Sandbox', name).filter((r) => r === 'PodCreated' || r === 'SandboxReady')).toEqual([]);

    // The Pod's name is recorded by the claim's own write, warm or cold (`kubectl get sandbox -o wide`).
    const podName = async (name: string) => (await s.admin.get<Obj>(SandboxKind, { namespace: ns, name })).metadata.annotations?.['agents.x-k8s.io/pod-name'];
    const taken = (await s.admin.get<Obj>(ClaimKind, { namespace: ns, name: 'ev-warm' })).status.sandbox.name as string;
    expect(await podName(taken)).toBe(taken);
    expect(await podName('ev-cold')).toBe('ev-cold');
  });
});
