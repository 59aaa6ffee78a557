/**
 * kube-apiserver, and then etcd, restarted in the middle of a 300-claim burst served by two
 * claim-controller replicas: every claim ends Ready, no Sandbox is bound twice, the pool comes
 * back to its size, and no program had to be restarted by hand (none exited). The programs run
 * with exactly their shipped RBAC: a 403 in any log fails the suite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controllerManagerServing, localControlPlane } from '@agent-sandbox/controlplane/testing';
import { claim, ClaimKind, controllerUid, pool, PoolKind, readyOf, SandboxKind, suite, template, TemplateKind, waitUntil, type Obj, type ProgramProcess, type Suite } from '../claims/harness.ts';

const POOL = 100;
const CLAIMS = 300;

describe(`kube-apiserver and etcd restarted during a ${CLAIMS}-claim burst`, () => {
  let s: Suite;
  const programs: ProgramProcess[] = [];
  beforeAll(async () => {
    s = await suite('fault-cp-restart');
    programs.push(await s.start('sandbox-controller', ['--workers=16']));
    programs.push(await s.start('warmpool-orchestrator', ['--max-create-batch=100']));
  }, 120_000);
  afterAll(async () => {
    await s?.teardown();
    // The restarts leave the controller-manager backing off for a while: wait it out, so the
    // next test finds the cluster as healthy as this one did.
    if (await localControlPlane()) await controllerManagerServing();
  }, 240_000);

  it('ends with every claim Ready, none bound twice, the pool refilled, no program restarted', async (ctx) => {
    const cp = await localControlPlane();
    if (!cp) return ctx.skip(); // a cluster given by KUBECONFIG: its components are not ours to restart
    const ns = s.ns.name;
    await s.admin.create(TemplateKind, template(ns, 't'));
    await s.admin.create(PoolKind, pool(ns, 'p', 't', POOL));
    await waitUntil(`${POOL} Ready members`, async () => (await s.admin.get<Obj>(PoolKind, { namespace: ns, name: 'p' })).status?.readyReplicas === POOL, 240_000, 1_000);
    programs.push(...(await Promise.all([s.start('claim-controller', ['--workers=64']), s.start('claim-controller', ['--workers=64'])])));

    // A client that keeps trying through the outages, as users' clients do; a claim that was
    // created by an attempt whose answer was lost counts as created.
    const createClaim = async (name: string) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await s.admin.create(ClaimKind, claim(ns, name, 'p'));
        } catch (err) {
          const { code, reason } = err as { code?: number; reason?: string };
          if (code === 409 && reason === 'AlreadyExists') return;
          if (attempt > 600) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };
    const names = Array.from({ length: CLAIMS }, (_, i) => `c-${String(i).padStart(3, '0')}`);
    let created = 0;
    const creating = (async () => {
      for (let i = 0; i < names.length; i += 25) {
        await Promise.all(names.slice(i, i + 25).map(createClaim));
        created = i + 25;
      }
    })();
    const started = Date.now();
    await waitUntil('a third of the claims created', () => created >= CLAIMS / 3, 120_000, 20);
    const apiserverDown = Date.now();
    await cp.restart('kube-apiserver');
    // Until it is healthy again, the new API server answers before its authorizer has read the
    // RBAC objects, and refuses: the programs retry; such 403s are not a missing rule.
    s.excuseForbidden(apiserverDown, Date.now(), 'kube-apiserver starting');
    const apiserverRestartedAt = Date.now() - started;
    await waitUntil('two thirds of the claims created', () => created >= (2 * CLAIMS) / 3, 300_000, 20);
    await cp.restart('etcd');
    const etcdRestartedAt = Date.now() - started;
    await creating;

    const list = async <T extends Obj>(kind: typeof ClaimKind | typeof SandboxKind) => {
      for (;;) {
        try {
          return (await s.admin.list<T>(kind, { namespace: ns })).items;
        } catch {
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    };
    let claims: Obj[] = [];
    await waitUntil('every claim Ready', async () => {
      claims = await list(ClaimKind);
      return claims.length === CLAIMS && claims.every((c) => readyOf(c)?.status === 'True');
    }, 600_000, 1_000);
    const allReadyMs = Date.now() - started;

    const sandboxes = await list(SandboxKind);
    const heldBy = new Map<string, string[]>();
    for (const sb of sandboxes) {
      const owners = (sb.metadata.ownerReferences ?? []).filter((r) => r.kind === 'SandboxClaim');
      expect(owners.length, `Sandbox ${sb.metadata.name}: claim owners`).toBeLessThanOrEqual(1);
      if (owners[0]) heldBy.set(owners[0].uid, [...(heldBy.get(owners[0].uid) ?? []), sb.metadata.name!]);
    }
    const doubleBinds = claims.filter((c) => (heldBy.get(c.metadata.uid!) ?? []).length !== 1 || heldBy.get(c.metadata.uid!)![0] !== c.status.sandbox.name);
    expect(doubleBinds.map((c) => `${c.metadata.name}: ${heldBy.get(c.metadata.uid!)?.join(',')} vs ${c.status.sandbox.name}`)).toEqual([]);
    expect(new Set(claims.map((c) => c.status.sandbox.name)).size).toBe(CLAIMS);

    const poolUid = (await s.admin.get<Obj>(PoolKind, { namespace: ns, name: 'p' })).metadata.uid;
    await waitUntil('the pool back to its size', async () => {
      const p = await s.admin.get<Obj>(PoolKind, { namespace: ns, name: 'p' });
      return p.status?.readyReplicas === POOL && p.status?.replicas === POOL;
    }, 300_000, 1_000);
    expect((await list(SandboxKind)).filter((x) => controllerUid(x) === poolUid && !x.metadata.deletionTimestamp)).toHaveLength(POOL);

    // No program exited (none was restarted by hand or needed to be).
    for (const p of programs) expect({ program: p.program, exitCode: p.child?.exitCode, signal: p.child?.signalCode }).toEqual({ program: p.program, exitCode: null, signal: null });
    console.log(JSON.stringify({ claims: CLAIMS, pool: POOL, apiserverRestartedAtMs: apiserverRestartedAt, etcdRestartedAtMs: etcdRestartedAt, allReadyMs }));
  }, 1_200_000);
});
