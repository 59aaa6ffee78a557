/**
 * SIGKILL of the claim-controller between its reservation and its adoption write, in the middle
 * of a 200-claim burst. Its traffic goes through a TCP proxy that adds latency, so that at any
 * moment many claims are between the two writes; the kill is checked to have left some there.
 * Started again, it binds every claim exactly once and leaves no Sandbox without an owner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_NAME_ANNOTATION } from '@agent-sandbox/api';
import { claim, ClaimKind, controllerUid, pool, PoolKind, readyOf, SandboxKind, suite, template, TemplateKind, waitUntil, type Obj, type Suite } from '../claims/harness.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

const POOL = 100;
const CLAIMS = 200;

describe(`claim-controller killed between reservation and adoption, ${CLAIMS} claims`, () => {
  let s: Suite;
  let proxy: TcpProxy;
  beforeAll(async () => {
    s = await suite('fault-claim-kill');
    await s.start('sandbox-controller', ['--workers=16']);
    await s.start('warmpool-orchestrator', ['--max-create-batch=100']);
    proxy = await TcpProxy.start(s.admin.server);
  }, 120_000);
  afterAll(async () => {
    await s?.teardown();
    await proxy?.close();
  }, 120_000);

  /** Claims whose reservation is written and whose adoption (warm) or create (cold) is not. */
  async function inBetween(): Promise<string[]> {
    const ns = s.ns.name;
    const [claims, sandboxes] = await Promise.all([s.admin.list<Obj>(ClaimKind, { namespace: ns }), s.admin.list<Obj>(SandboxKind, { namespace: ns })]);
    const byName = new Map(sandboxes.items.map((sb) => [sb.metadata.name!, sb]));
    return claims.items
      .filter((c) => {
        const reserved = c.metadata.annotations?.[SANDBOX_NAME_ANNOTATION];
        if (!reserved) return false;
        const sb = byName.get(reserved);
        return !sb || controllerUid(sb) !== c.metadata.uid;
      })
      .map((c) => c.metadata.name!);
  }

  it('binds every claim exactly once after a restart, and orphans no Sandbox', async () => {
    const ns = s.ns.name;
    await s.admin.create(TemplateKind, template(ns, 't'));
    await s.admin.create(PoolKind, pool(ns, 'p', 't', POOL));
    await waitUntil(`${POOL} Ready members`, async () => (await s.admin.get<Obj>(PoolKind, { namespace: ns, name: 'p' })).status?.readyReplicas === POOL, 240_000, 1_000);

    proxy.delay(20);
    const doomed = await s.start('claim-controller', ['--workers=64'], { via: proxy });
    const names = Array.from({ length: CLAIMS }, (_, i) => `c-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map((n) => s.admin.create(ClaimKind, claim(ns, n, 'p'))));

    // Kill it once some claims are reserved and not yet taken; the API server keeps them so.
    await waitUntil('claims between reservation and adoption', async () => (await inBetween()).length >= 5, 120_000, 20);
    await doomed.kill();
    const stranded = await inBetween();
    const boundAtKill = (await s.admin.list<Obj>(ClaimKind, { namespace: ns })).items.filter((c) => c.status?.sandbox?.name).length;
    expect(stranded.length, 'claims left between their two writes by the kill').toBeGreaterThan(0);

    await s.start('claim-controller', ['--workers=64']);
    let claims: Obj[] = [];
    await waitUntil('every claim Ready', async () => {
      claims = (await s.admin.list<Obj>(ClaimKind, { namespace: ns })).items;
      return claims.length === CLAIMS && claims.every((c) => readyOf(c)?.status === 'True');
    }, 300_000, 1_000);

    const sandboxes = (await s.admin.list<Obj>(SandboxKind, { namespace: ns })).items;
    const poolUid = (await s.admin.get<Obj>(PoolKind, { namespace: ns, name: 'p' })).metadata.uid;
    const claimUids = new Set(claims.map((c) => c.metadata.uid!));
    // Exactly once: each claim holds one Sandbox, the one its status names; no Sandbox is held twice.
    const heldBy = new Map<string, string[]>();
    for (const sb of sandboxes) {
      const owners = (sb.metadata.ownerReferences ?? []).filter((r) => r.kind === 'SandboxClaim');
      expect(owners.length, `Sandbox ${sb.metadata.name}: claim owners`).toBeLessThanOrEqual(1);
      if (owners[0]) heldBy.set(owners[0].uid, [...(heldBy.get(owners[0].uid) ?? []), sb.metadata.name!]);
    }
    for (const c of claims) expect(heldBy.get(c.metadata.uid!), `claim ${c.metadata.name}`).toEqual([c.status.sandbox.name]);
    expect(new Set(claims.map((c) => c.status.sandbox.name)).size).toBe(CLAIMS);
    // No orphan: every Sandbox is controlled by the pool or by a claim that exists.
    const orphans = sandboxes.filter((sb) => !sb.metadata.deletionTimestamp && controllerUid(sb) !== poolUid && !claimUids.has(controllerUid(sb) ?? ''));
    expect(orphans.map((o) => o.metadata.name)).toEqual([]);
    await waitUntil('the pool refilled', async () => {
      const p = await s.admin.get<Obj>(PoolKind, { namespace: ns, name: 'p' });
      return p.status?.readyReplicas === POOL && p.status?.replicas === POOL;
    }, 240_000, 1_000);
    console.log(JSON.stringify({ claims: CLAIMS, pool: POOL, strandedAtKill: stranded.length, boundAtKill }));
  }, 900_000);
});
