/**
 * The hot path's invariant under load: many claims at once, two claim-controller replicas
 * with many workers each and no leader election, a pool smaller than the burst. Every claim
 * ends Ready, no claim holds two sandboxes, no sandbox is held by two claims.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claim, ClaimKind, controllerUid, pool, PoolKind, readyOf, SandboxKind, suite, template, TemplateKind, waitUntil, type Obj, type Suite } from './harness.ts';

const POOL = Number(process.env.CLAIMS_BURST_POOL ?? 300);
const CLAIMS = Number(process.env.CLAIMS_BURST_CLAIMS ?? 500);

describe(`${CLAIMS} claims at once against a pool of ${POOL}`, () => {
  let s: Suite;
  beforeAll(async () => {
    s = await suite('claims-burst');
    await s.start('sandbox-controller', ['--workers=32']);
    await s.start('warmpool-orchestrator', ['--max-create-batch=100']);
  }, 300_000);
  afterAll(async () => s?.teardown(), 120_000);

  it('binds every claim exactly once, warm first, then cold, and refills the pool', async () => {
    const ns = s.ns.name;
    await s.admin.create(TemplateKind, template(ns, 't'));
    await s.admin.create(PoolKind, pool(ns, 'p', 't', POOL));
    await waitUntil(`${POOL} Ready members`, async () => (await s.admin.get<Obj>(PoolKind, { namespace: ns, name: 'p' })).status?.readyReplicas === POOL, 240_000, 1_000);
    const poolUid = (await s.admin.get<Obj>(PoolKind, { namespace: ns, name: 'p' })).metadata.uid;

    await Promise.all([s.start('claim-controller', ['--workers=64']), s.start('claim-controller', ['--workers=64'])]);
    const started = Date.now();
    const names = Array.from({ length: CLAIMS }, (_, i) => `c-${i}`);
    for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map((n) => s.admin.create(ClaimKind, claim(ns, n, 'p'))));

    let claims: Obj[] = [];
    await waitUntil('every claim Ready', async () => {
      claims = (await s.admin.list<Obj>(ClaimKind, { namespace: ns })).items;
      return claims.length === CLAIMS && claims.every((c) => readyOf(c)?.status === 'True');
    }, 300_000, 1_000);
    const allReadyMs = Date.now() - started;

    const sandboxes = (await s.admin.list<Obj>(SandboxKind, { namespace: ns })).items;
    const byClaimUid = new Map<string, Obj[]>();
    for (const sb of sandboxes) {
      const owners = (sb.metadata.ownerReferences ?? []).filter((r) => r.kind === 'SandboxClaim');
      expect(owners.length, `Sandbox ${sb.metadata.name} has ${owners.length} claim owners`).toBeLessThanOrEqual(1);
      if (owners[0]) byClaimUid.set(owners[0].uid, [...(byClaimUid.get(owners[0].uid) ?? []), sb]);
    }
    for (const c of claims) {
      const held = byClaimUid.get(c.metadata.uid!) ?? [];
      expect(held.map((h) => h.metadata.name), `claim ${c.metadata.name}`).toEqual([c.status.sandbox.name]);
    }
    const bound = claims.map((c) => c.status.sandbox.name as string);
    expect(new Set(bound).size).toBe(CLAIMS);
    const warm = bound.filter((n) => !n.startsWith('c-')).length;
    const cold = CLAIMS - warm;
    expect(warm).toBeGreaterThanOrEqual(Math.min(POOL, CLAIMS));
    for (const sb of sandboxes.filter((x) => byClaimUid.has(controllerUid(x) ?? ''))) {
      expect(sb.metadata.labels?.['agents.x-k8s.io/warm-pool-sandbox']).toBeUndefined();
      expect(sb.metadata.labels?.['agents.x-k8s.io/claim-uid']).toBe(controllerUid(sb));
    }

    await waitUntil('the pool refilled', async () => {
      const p = await s.admin.get<Obj>(PoolKind, { namespace: ns, name: 'p' });
      return p.status?.readyReplicas === POOL && p.status?.replicas === POOL;
    }, 240_000, 1_000);
    const members = (await s.admin.list<Obj>(SandboxKind, { namespace: ns })).items.filter((x) => controllerUid(x) === poolUid);
    expect(members).toHaveLength(POOL);
    console.log(JSON.stringify({ claims: CLAIMS, pool: POOL, warm, cold, allReadyMs }));
  }, 900_000);
});
