/**
 * The hot path's last step, timed: once a claim turns Ready on a warm member, that member's Pod
 * carries the claim's uid label and has lost `safe-to-evict` (a claimed Pod must not be evicted
 * to pack nodes) within a second. Times are the test's own, as its watches see the changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLAIM_UID_LABEL, POD_NAME_ANNOTATION, SAFE_TO_EVICT_ANNOTATION } from '@agent-sandbox/api';
import { Informer, Kinds, type KubeObject } from '@agent-sandbox/runtime';
import { memoryLogger } from '../runtime/helpers.ts';
import { claim, ClaimKind, pool, PoolKind, readyOf, SandboxKind, suite, template, TemplateKind, waitUntil, type Obj, type Suite } from './harness.ts';

const CLAIMS = 8;

describe('a warm-claimed Pod', () => {
  let s: Suite;
  beforeAll(async () => {
    s = await suite('claims-hot-path');
    await Promise.all([s.start('sandbox-controller'), s.start('warmpool-orchestrator'), s.start('claim-controller')]);
  }, 120_000);
  afterAll(async () => s?.teardown(), 120_000);

  it(`carries the claim's uid and has lost safe-to-evict within 1 s of the claim turning Ready (${CLAIMS} claims)`, async () => {
    const ns = s.ns.name;
    await s.admin.create(TemplateKind, template(ns, 'hot-t'));
    await s.admin.create(PoolKind, pool(ns, 'hot', 'hot-t', CLAIMS));
    await waitUntil(`${CLAIMS} Ready members`, async () => (await s.admin.get<Obj>(PoolKind, { namespace: ns, name: 'hot' })).status?.readyReplicas === CLAIMS, 120_000);

    // Watches of the test's own: when each claim was first seen Ready, and when each Pod first
    // carried some claim's uid without safe-to-evict.
    const { log } = memoryLogger('hot-path-test', 'info');
    const claims = new Informer<Obj>({ kind: ClaimKind, client: s.admin, log, namespace: ns });
    const pods = new Informer<KubeObject>({ kind: Kinds.Pod, client: s.admin, log, namespace: ns });
    const readyAt = new Map<string, number>();
    const claimedAt = new Map<string, { at: number; uid: string }>();
    claims.addHandlers({ update: (_o, c) => void (readyOf(c)?.status === 'True' && !readyAt.has(c.metadata.uid!) && readyAt.set(c.metadata.uid!, performance.now())) });
    const seePod = (p: KubeObject) => {
      const uid = p.metadata.labels?.[CLAIM_UID_LABEL];
      if (uid && !(SAFE_TO_EVICT_ANNOTATION in (p.metadata.annotations ?? {})) && !claimedAt.has(p.metadata.name!)) claimedAt.set(p.metadata.name!, { at: performance.now(), uid });
    };
    pods.addHandlers({ add: seePod, update: (_o, p) => seePod(p) });
    claims.start();
    pods.start();
    await Promise.all([claims.waitForSync(), pods.waitForSync()]);
    // Not vacuous: the members' Pods carry safe-to-evict while they wait in the pool.
    expect(pods.store.list().filter((p) => p.metadata.annotations?.[SAFE_TO_EVICT_ANNOTATION] === 'true')).toHaveLength(CLAIMS);

    const gaps: number[] = [];
    for (let i = 0; i < CLAIMS; i++) {
      const c = await s.admin.create<Obj>(ClaimKind, claim(ns, `hot-${i}`, 'hot'));
      await waitUntil(`claim hot-${i} Ready`, () => readyAt.has(c.metadata.uid!), 60_000, 10);
      const bound = (await s.admin.get<Obj>(ClaimKind, { namespace: ns, name: `hot-${i}` })).status.sandbox.name as string;
      const sandbox = await s.admin.get<Obj>(SandboxKind, { namespace: ns, name: bound });
      const podName = sandbox.metadata.annotations?.[POD_NAME_ANNOTATION] ?? bound;
      await waitUntil(`Pod ${podName} relabelled`, () => claimedAt.has(podName), 30_000, 10);
      expect(claimedAt.get(podName)!.uid).toBe(c.metadata.uid);
      gaps.push(claimedAt.get(podName)!.at - readyAt.get(c.metadata.uid!)!);
    }
    await Promise.all([claims.stop(), pods.stop()]);
    console.log(JSON.stringify({ claims: CLAIMS, podClaimedAfterClaimReadyMs: gaps.map((g) => Math.round(g)) }));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1_000);
  });
});
