/**
 * A pool whose Pods are scheduled but never become Ready: its members are replaced once their
 * grace period is up, again and again, and at no moment does the pool hold more live members
 * than `replicas` (OnReplenish allows no surge: a replacement is made only for a member whose
 * deletion went through). The reference implementation over-created about 5x here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Informer, type KubeObject } from '@agent-sandbox/runtime';
import { pool, PoolKind, SandboxKind, suite, template, TemplateKind, type Obj, type Suite } from '../claims/harness.ts';
import { memoryLogger, waitUntil } from '../runtime/helpers.ts';

const REPLICAS = Number(process.env.NEVER_READY_REPLICAS ?? 6);
const GRACE = '2s';

describe('a pool whose Pods never become Ready', () => {
  let s: Suite;
  beforeAll(async () => {
    s = await suite('fault-never-ready');
    await s.start('sandbox-controller');
    await s.start('warmpool-orchestrator', [`--ready-grace-period=${GRACE}`]);
    // Scheduled and Running, but kwok holds them back from Ready for ten minutes.
    const t = template(s.ns.name, 'never-t');
    t.spec.podTemplate.metadata = { annotations: { 'pod-ready.stage.kwok.x-k8s.io/delay': '10m' } };
    await s.admin.create(TemplateKind, t);
  }, 120_000);
  afterAll(async () => s?.teardown(), 120_000);

  /**
   * Runs a pool until it has made three generations of members, watching every Sandbox event in
   * the API server's order; `meanwhile` runs alongside. The most live members seen at once.
   */
  async function runPool(name: string, meanwhile?: (live: ReadonlySet<string>, stop: AbortSignal) => Promise<void>) {
    const ns = s.ns.name;
    const poolUid = (await s.admin.create<Obj>(PoolKind, pool(ns, name, 'never-t', REPLICAS))).metadata.uid!;
    const { log } = memoryLogger('fault-test', 'info');
    const informer = new Informer<KubeObject>({ kind: SandboxKind, client: s.admin, log, namespace: ns });
    const live = new Set<string>();
    const everMember = new Set<string>();
    let most = 0;
    const observe = (sb: KubeObject, gone = false) => {
      const ours = sb.metadata.ownerReferences?.some((r) => r.controller && r.uid === poolUid) && !sb.metadata.deletionTimestamp;
      if (ours && !gone) {
        live.add(sb.metadata.name!);
        everMember.add(sb.metadata.name!);
      } else live.delete(sb.metadata.name!);
      most = Math.max(most, live.size);
    };
    informer.addHandlers({ add: (sb) => observe(sb), update: (_old, sb) => observe(sb), delete: (sb) => observe(sb, true) });
    informer.start();
    await informer.waitForSync();
    const stop = new AbortController();
    const side = meanwhile?.(live, stop.signal);
    try {
      // Three generations at least (each lives about the grace period).
      await waitUntil(`${REPLICAS * 3} members made in all`, () => everMember.size >= REPLICAS * 3, 120_000, 100);
    } finally {
      stop.abort();
      await side;
      await informer.stop();
    }
    const p = await s.admin.get<Obj>(PoolKind, { namespace: ns, name });
    console.log(JSON.stringify({ pool: name, replicas: REPLICAS, membersMade: everMember.size, mostLiveAtOnce: most }));
    return { most, readyReplicas: p.status?.readyReplicas ?? 0 };
  }

  it(`replaces members after the grace period, never holding more than replicas (${REPLICAS}) at once`, async () => {
    const { most, readyReplicas } = await runPool('never');
    expect(most, 'live members at the busiest moment').toBeLessThanOrEqual(REPLICAS);
    expect(readyReplicas).toBe(0);
  });

  it('does not replace a member whose deletion failed, while another writer keeps changing the members', async () => {
    // Another writer (a user's tooling, say) keeps touching the members, so the pool's deletes,
    // held to the version it read, often lose: a member still there must not get a replacement.
    const { most } = await runPool('touched', async (live, stop) => {
      let n = 0;
      while (!stop.aborted) {
        await Promise.all(
          [...live].map((member) =>
            s.admin.patch(SandboxKind, { namespace: s.ns.name, name: member }, { metadata: { annotations: { 'example.com/touched': String(n) } } }, { type: 'merge' }).catch((err: { code?: number }) => {
              if (err.code !== 404) throw err;
            }),
          ),
        );
        n++;
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    expect(most, 'live members at the busiest moment').toBeLessThanOrEqual(REPLICAS);
  });
});
