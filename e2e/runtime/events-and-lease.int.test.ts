import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventRecorder, Kinds, LeaderElector, type KubeObject } from '@agent-sandbox/runtime';
import { consistently, createTestNamespace, waitFor, type TestNamespace } from '@agent-sandbox/controlplane/testing';
import { memoryLogger, testClient } from './helpers.ts';

type Event = KubeObject & { reason: string; message: string; count: number; involvedObject: { name: string; uid: string } };

describe('event recording and lease loss against a real API server', () => {
  let ns: TestNamespace;
  const client = testClient();
  beforeAll(async () => {
    ns = await createTestNamespace('rt-events');
  });
  afterAll(async () => {
    await ns.remove();
    client.close();
  });

  it('aggregates repeats into one Event with a count, and never blocks the caller', async () => {
    const { log } = memoryLogger();
    const target = await client.create<KubeObject>(Kinds.ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'subject', namespace: ns.name } });
    const recorder = new EventRecorder({ client, log, component: 'runtime-test', maxPending: 50 });

    const started = performance.now();
    for (let i = 0; i < 5; i++) recorder.event(target, 'Normal', 'Poked', 'poked the subject');
    // Far more distinct events than the bound: the extra ones are dropped, not queued.
    for (let i = 0; i < 500; i++) recorder.event(target, 'Normal', 'Distinct', `distinct ${i}`);
    const elapsedMs = performance.now() - started;
    expect(elapsedMs).toBeLessThan(50);
    expect(recorder.dropped).toBe(500 - 49);
    await recorder.flush();

    recorder.event(target, 'Normal', 'Poked', 'poked the subject');
    await recorder.flush();
    const events = (await client.list<Event>(Kinds.Event, { namespace: ns.name })).items.filter((e) => e.involvedObject.uid === target.metadata.uid);
    const poked = events.filter((e) => e.reason === 'Poked');
    expect(poked).toHaveLength(1);
    expect(poked[0]!.count).toBe(6);
    expect(events.filter((e) => e.reason === 'Distinct')).toHaveLength(49);
    await recorder.close();
  });

  it('forgets aggregated Events once their window has passed', async () => {
    const { log } = memoryLogger();
    const target = await client.create<KubeObject>(Kinds.ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'windowed', namespace: ns.name } });
    const recorder = new EventRecorder({ client, log, component: 'runtime-test', aggregateWindowMs: 200 });
    recorder.event(target, 'Normal', 'Once', 'first');
    await recorder.flush();
    expect(recorder.remembered).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    recorder.event(target, 'Normal', 'Twice', 'second');
    await recorder.flush();
    expect(recorder.remembered).toBe(1);
    await recorder.close();
  });

  it('stops leading at once when another holder takes the Lease', async () => {
    const { log } = memoryLogger();
    let leading = false;
    let lostAt = 0;
    const elector = new LeaderElector(
      client,
      log,
      { namespace: ns.name, name: 'stolen', identity: 'victim', leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 250 },
      {
        onStartedLeading: () => (leading = true),
        onStoppedLeading: () => {
          leading = false;
          lostAt = Date.now();
        },
      },
    );
    elector.start();
    try {
      await waitFor('leadership', async () => leading, 10_000, 20);
      const lease = await client.get<KubeObject & { spec: Record<string, unknown> }>(Kinds.Lease, { namespace: ns.name, name: 'stolen' });
      const stolenAt = Date.now();
      await client.request('PUT', `/apis/coordination.k8s.io/v1/namespaces/${ns.name}/leases/stolen`, {
        body: { ...lease, spec: { ...lease.spec, holderIdentity: 'thief', renewTime: new Date().toISOString().replace('Z', '000Z'), leaseDurationSeconds: 60 } },
      });
      await waitFor('the victim to notice', async () => !leading, 5_000, 10);
      expect(elector.isLeader).toBe(false);
      // Noticed at its next renewal (every 250 ms), not after its renew deadline.
      expect(lostAt - stolenAt).toBeLessThan(1_500);
      // And it does not take the Lease back while the thief's lease is valid.
      await consistently('the victim stays a standby', () => !leading, 1_000);
      const now = await client.get<KubeObject & { spec: { holderIdentity: string } }>(Kinds.Lease, { namespace: ns.name, name: 'stolen' });
      expect(now.spec.holderIdentity).toBe('thief');
    } finally {
      await elector.stop({ release: false });
    }
  });
});
