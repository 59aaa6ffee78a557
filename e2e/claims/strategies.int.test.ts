/**
 * Template changes under OnReplenish and RollingUpdate, replacement of a member that does not
 * become Ready within the grace period, and adoption of an orphan carrying the pool's label;
 * the three programs run as processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nameHash } from '@agent-sandbox/api';
import { claim, ClaimKind, consistently, controllerUid, pool, PoolKind, readyOf, SandboxKind, suite, template, TemplateKind, waitUntil, WARM_LABEL, type Obj, type Suite } from './harness.ts';

describe('pool strategies and member lifecycle', () => {
  let s: Suite;
  let ns: string;
  beforeAll(async () => {
    s = await suite('claims-strategies');
    ns = s.ns.name;
    await Promise.all([s.start('sandbox-controller'), s.start('warmpool-orchestrator', ['--ready-grace-period=3s']), s.start('claim-controller')]);
  }, 120_000);
  afterAll(async () => s?.teardown(), 120_000);

  const getPool = (name: string) => s.admin.get<Obj>(PoolKind, { namespace: ns, name });
  const members = async (poolName: string) => {
    const p = await getPool(poolName);
    return (await s.admin.list<Obj>(SandboxKind, { namespace: ns })).items.filter((x) => controllerUid(x) === p.metadata.uid && !x.metadata.deletionTimestamp);
  };
  const image = (x: Obj) => x.spec.podTemplate.spec.containers[0].image as string;
  const newImage = (t: string) =>
    s.admin.patch(TemplateKind, { namespace: ns, name: t }, { spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'registry.example/runtime:2' }] } } } }, { type: 'merge' });

  it('OnReplenish keeps handing out members of the old template and makes new ones as members are used', async () => {
    await s.admin.create(TemplateKind, template(ns, 'onr-t'));
    await s.admin.create(PoolKind, pool(ns, 'onr', 'onr-t', 2));
    await waitUntil('2 Ready', async () => (await getPool('onr')).status?.readyReplicas === 2);
    const before = (await members('onr')).map((x) => x.metadata.name).sort();
    await newImage('onr-t');
    await consistently('OnReplenish keeps the members of the old template', async () => JSON.stringify((await members('onr')).map((x) => x.metadata.name).sort()) === JSON.stringify(before), 2_000);

    await s.admin.create(ClaimKind, claim(ns, 'onr-claim', 'onr'));
    await waitUntil('claim Ready', async () => readyOf(await s.admin.get<Obj>(ClaimKind, { namespace: ns, name: 'onr-claim' }))?.status === 'True', 30_000);
    const bound = (await s.admin.get<Obj>(ClaimKind, { namespace: ns, name: 'onr-claim' })).status.sandbox.name as string;
    expect(before).toContain(bound);
    await waitUntil('refilled with the new template', async () => {
      const now = await members('onr');
      return now.length === 2 && now.some((x) => image(x) === 'registry.example/runtime:2') && (await getPool('onr')).status?.readyReplicas === 2;
    }, 30_000);
    expect((await members('onr')).filter((x) => image(x) === 'registry.example/runtime:1')).toHaveLength(1);
  });

  it('RollingUpdate replaces stale members within maxSurge and maxUnavailable', async () => {
    await s.admin.create(TemplateKind, template(ns, 'roll-t'));
    await s.admin.create(PoolKind, pool(ns, 'roll', 'roll-t', 3, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }));
    await waitUntil('3 Ready', async () => (await getPool('roll')).status?.readyReplicas === 3);
    await newImage('roll-t');
    let minReady = Infinity;
    let maxMembers = 0;
    await waitUntil('all members on the new template and Ready', async () => {
      const [p, now] = await Promise.all([getPool('roll'), members('roll')]);
      minReady = Math.min(minReady, p.status?.readyReplicas ?? 0);
      maxMembers = Math.max(maxMembers, now.length);
      return now.length === 3 && now.every((x) => image(x) === 'registry.example/runtime:2') && p.status?.readyReplicas === 3 && p.status?.updatedReplicas === 3;
    }, 90_000, 50);
    expect(minReady).toBeGreaterThanOrEqual(3);
    expect(maxMembers).toBeLessThanOrEqual(4);
  });

  it('replaces a member that does not become Ready within the grace period', async () => {
    // Pods of this template are scheduled but kwok holds them back from Ready for ten minutes.
    const slow = template(ns, 'slow-t');
    slow.spec.podTemplate.metadata = { annotations: { 'pod-ready.stage.kwok.x-k8s.io/delay': '10m' } };
    await s.admin.create(TemplateKind, slow);
    await s.admin.create(PoolKind, pool(ns, 'slow', 'slow-t', 1));
    await waitUntil('a member', async () => (await members('slow')).length === 1);
    const [first] = await members('slow');
    await waitUntil('the first member replaced', async () => {
      const now = await members('slow');
      return now.length === 1 && now[0]!.metadata.name !== first!.metadata.name;
    }, 30_000);
    const progressing = ((await getPool('slow')).status?.conditions ?? []).find((c: { type: string }) => c.type === 'Progressing');
    expect(progressing?.reason).not.toBe('NotProgressing');
  });

  it('adopts an orphan Sandbox that carries the pool label', async () => {
    await s.admin.create(TemplateKind, template(ns, 'orph-t'));
    const orphan = await s.admin.create<Obj>(SandboxKind, {
      apiVersion: 'agents.x-k8s.io/v1beta1',
      kind: 'Sandbox',
      metadata: { name: 'orphan-member', namespace: ns, labels: { [WARM_LABEL]: nameHash('orph') } },
      spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'registry.example/runtime:1' }] } } },
    });
    // Ready before the pool exists (the sandbox-controller runs it), so the pool counts it
    // instead of creating a member of its own and then trimming the surplus.
    await waitUntil('the orphan Ready', async () => readyOf(await s.admin.get<Obj>(SandboxKind, { namespace: ns, name: 'orphan-member' }))?.status === 'True', 30_000);
    await s.admin.create(PoolKind, pool(ns, 'orph', 'orph-t', 1));
    await waitUntil('the orphan adopted', async () => {
      const now = await s.admin.get<Obj>(SandboxKind, { namespace: ns, name: 'orphan-member' });
      return controllerUid(now) === (await getPool('orph')).metadata.uid;
    }, 30_000);
    await waitUntil('one Ready member', async () => (await getPool('orph')).status?.readyReplicas === 1 && (await members('orph')).length === 1, 30_000);
    expect((await members('orph'))[0]!.metadata.uid).toBe(orphan.metadata.uid);
  });
});
