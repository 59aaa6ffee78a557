/**
 * Warm-pool staleness as API.md defines it: a member is stale when the pool points at another
 * template (even one with an identical spec) or its blueprint differs, never for the pod
 * template's labels or annotations alone; under Recreate and RollingUpdate members are replaced
 * exactly when stale. The pool's whole status is compared as a strict client does. The three
 * programs run as processes, each with exactly its RBAC.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nameHash, SANDBOX, SANDBOX_CLAIM, SANDBOX_TEMPLATE, SANDBOX_WARM_POOL } from '@agent-sandbox/api';
import { controllerOf } from '@agent-sandbox/runtime';
import { programSuite, type ProgramProcess, type ProgramSuite } from '../support/programs.ts';
import { condition, statusStays, waitForStatus, type Obj } from './support.ts';

const podSpec = { containers: [{ name: 'main', image: 'registry.example/runtime:1' }] };

describe('warm-pool staleness', () => {
  let suite: ProgramSuite;
  let ns: string;
  let programs: ProgramProcess[];

  const getPool = (name: string) => suite.admin.get<Obj>(SANDBOX_WARM_POOL, { namespace: ns, name });
  const patch = (kind: typeof SANDBOX_TEMPLATE | typeof SANDBOX_WARM_POOL, name: string, body: unknown) => suite.admin.patch(kind, { namespace: ns, name }, body, { type: 'merge' });
  const createTemplate = (name: string, labels?: Record<string, string>) =>
    suite.admin.create(SANDBOX_TEMPLATE, {
      apiVersion: SANDBOX_TEMPLATE.apiVersion,
      kind: 'SandboxTemplate',
      metadata: { name, namespace: ns },
      spec: { podTemplate: { ...(labels ? { metadata: { labels } } : {}), spec: podSpec } },
    } as never);
  const createPool = (name: string, template: string, replicas: number, updateStrategy: Record<string, unknown>) =>
    suite.admin.create(SANDBOX_WARM_POOL, {
      apiVersion: SANDBOX_WARM_POOL.apiVersion,
      kind: 'SandboxWarmPool',
      metadata: { name, namespace: ns },
      spec: { replicas, sandboxTemplateRef: { name: template }, updateStrategy },
    } as never);
  /** The pool's live members (not terminating). */
  const members = async (pool: string) => {
    const uid = (await getPool(pool)).metadata.uid;
    return (await suite.admin.list<Obj>(SANDBOX, { namespace: ns })).items.filter((s) => controllerOf(s)?.uid === uid && !s.metadata.deletionTimestamp);
  };
  const names = async (pool: string) => (await members(pool)).map((m) => m.metadata.name!).sort();

  /** A pool's whole status with every member Ready and up to date. */
  const settled = (pool: string, replicas: number, generation: number) => ({
    replicas,
    readyReplicas: replicas,
    updatedReplicas: replicas,
    selector: `agents.x-k8s.io/warm-pool-sandbox=${nameHash(pool)}`,
    observedGeneration: generation,
    conditions: [
      condition('Available', 'True', 'MinimumReplicasAvailable', `${replicas} of ${replicas} members are Ready`, generation),
      condition('Progressing', 'True', 'ReplicasUpToDate', `${replicas} members, all Ready`, generation),
    ],
  });

  beforeAll(async () => {
    suite = await programSuite('std-pool');
    ns = suite.ns.name;
    programs = await Promise.all([suite.start('sandbox-controller'), suite.start('warmpool-orchestrator'), suite.start('claim-controller')]);
  });
  afterAll(async () => suite?.teardown());

  for (const strategy of [{ type: 'Recreate' }, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }]) {
    it(`${strategy.type}: pointed at another template with an identical spec, every member is stale and replaced`, async () => {
      const pool = `switch-${strategy.type.toLowerCase()}`;
      await createTemplate(`${pool}-a`);
      await createTemplate(`${pool}-b`);
      await createPool(pool, `${pool}-a`, 2, strategy);
      await waitForStatus(`${pool} settled`, () => getPool(pool), () => settled(pool, 2, 1), 60_000);
      const before = await names(pool);

      await patch(SANDBOX_WARM_POOL, pool, { spec: { sandboxTemplateRef: { name: `${pool}-b` } } });
      await waitForStatus(`${pool} settled on the other template`, () => getPool(pool), async () => {
        const now = await members(pool);
        // Not settled until every member is a new one made from the other template.
        const replaced = now.length === 2 && now.every((m) => !before.includes(m.metadata.name!) && m.metadata.labels?.['agents.x-k8s.io/sandbox-template-ref-hash'] === nameHash(`${pool}-b`));
        return replaced ? settled(pool, 2, 2) : 'members not replaced yet';
      }, 90_000);
    });
  }

  it('Recreate: a change to the pod template\'s labels alone makes no member stale', async () => {
    await createTemplate('labels-t', { team: 'a' });
    await createPool('labels', 'labels-t', 2, { type: 'Recreate' });
    await waitForStatus('labels settled', () => getPool('labels'), () => settled('labels', 2, 1), 60_000);
    const before = await names('labels');

    await patch(SANDBOX_TEMPLATE, 'labels-t', { spec: { podTemplate: { metadata: { labels: { team: 'b' } } } } });
    // A third member proves the orchestrator has seen the change: it is made with the new label,
    // while the two made before stay, counted as up to date.
    await patch(SANDBOX_WARM_POOL, 'labels', { spec: { replicas: 3 } });
    const kept = new Set<number>();
    await waitForStatus('labels settled at 3', () => getPool('labels'), async () => {
      const now = await members('labels');
      kept.add(now.filter((m) => before.includes(m.metadata.name!)).length);
      return now.some((m) => m.spec.podTemplate.metadata?.labels?.team === 'b') ? settled('labels', 3, 2) : 'no member with the new label yet';
    }, 60_000);
    expect([...kept], 'how many of the members made before the change were left, at each look').toEqual([2]);
    await statusStays('labels settled at 3', () => getPool('labels'), settled('labels', 3, 2));
    expect((await names('labels')).filter((n) => before.includes(n))).toEqual(before);

    // Not stale, so a claim under Recreate may have any of them.
    await suite.admin.create(SANDBOX_CLAIM, { apiVersion: SANDBOX_CLAIM.apiVersion, kind: 'SandboxClaim', metadata: { name: 'labels-claim', namespace: ns }, spec: { warmPoolRef: { name: 'labels' } } } as never);
    const claimed = await waitForStatus('labels-claim Ready', () => suite.admin.get<Obj>(SANDBOX_CLAIM, { namespace: ns, name: 'labels-claim' }), (c) => ({
      sandbox: c.status?.sandbox,
      conditions: [condition('Ready', 'True', 'DependenciesReady', 'Pod is Ready')],
    }));
    expect(claimed.status.sandbox.name).toMatch(/^labels-/);
  });

  it('ran with exactly their RBAC: nothing refused', () => {
    for (const p of programs) expect(p.lines.filter((l) => JSON.stringify(l).includes('forbidden')), p.program).toEqual([]);
  });
});
