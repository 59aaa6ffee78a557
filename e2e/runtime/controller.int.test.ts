import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupTracing, TRACE_CONTEXT_ANNOTATION } from '@agent-sandbox/telemetry';
import { InMemorySpanExporter } from '@agent-sandbox/telemetry/sdk';
import { Kinds, sleep, type Manager } from '@agent-sandbox/runtime';
import { consistently, createTestNamespace, type TestNamespace } from '@agent-sandbox/controlplane/testing';
import { acquireClusterLock, configMap, listConfigMaps, memoryLogger, pool, testClient, testManager, waitUntil, type ConfigMap } from './helpers.ts';

// One in-memory exporter for the file: the OpenTelemetry globals are installed once per process.
const spans = new InMemorySpanExporter();
await setupTracing({ serviceName: 'runtime-test', exporter: spans });

describe('controller against a real API server', () => {
  let ns: TestNamespace;
  const managers: Manager[] = [];
  let unlock: () => Promise<void> = async () => {};
  beforeAll(async () => {
    unlock = await acquireClusterLock();
    ns = await createTestNamespace('rt-ctl');
  });
  afterAll(async () => {
    try {
      await Promise.all(managers.map((m) => m.stop()));
      await ns.remove();
    } finally {
      await unlock();
    }
  });

  it('reconciles each of 1,000 ConfigMaps created while it runs, to the final state', async () => {
    const { log } = memoryLogger('runtime-test', 'info');
    const mgr = testManager(ns.name, log);
    managers.push(mgr);
    const cache = mgr.informer<ConfigMap>(Kinds.ConfigMap);
    const reconciled = new Set<string>();
    mgr
      .controller('label-mirror')
      .for(Kinds.ConfigMap)
      .withOptions({ concurrency: 4 })
      .complete(async (req) => {
        const cm = cache.store.get(req.key);
        if (!cm || cm.metadata.labels?.app !== 'bulk') return;
        const want = cm.data?.v ?? '';
        if (cm.metadata.labels?.observed !== want) {
          await mgr.writer.apply(Kinds.ConfigMap, { metadata: { name: req.name, namespace: req.namespace, labels: { observed: want } } });
        }
        reconciled.add(req.key);
      });
    await mgr.start();
    expect(mgr.ready()).toBe(true);

    const client = testClient();
    const names = Array.from({ length: 1000 }, (_, i) => `bulk-${i}`);
    const started = Date.now();
    await pool(names, 24, (name) =>
      client.create(Kinds.ConfigMap, { ...configMap(ns.name, name, { v: name.slice(5) }), metadata: { name, namespace: ns.name, labels: { app: 'bulk' } } }),
    );
    await waitUntil('1,000 reconciled', () => reconciled.size === 1000, 120_000, 200);
    const fresh = (await listConfigMaps(client, ns.name)).filter((c) => c.metadata.labels?.app === 'bulk');
    expect(fresh).toHaveLength(1000);
    const wrong = fresh.filter((c) => c.metadata.labels?.observed !== c.data?.v);
    expect(wrong.map((c) => c.metadata.name)).toEqual([]);
    const totals = await mgr.metrics.reconcileTotal.get();
    const successes = totals.values.filter((v) => v.labels.controller === 'label-mirror' && v.labels.result === 'success').reduce((n, v) => n + v.value, 0);
    expect(successes).toBeGreaterThanOrEqual(1000);
    console.log(`1,000 objects created and reconciled in ${Date.now() - started} ms (${successes} successful reconciles)`);
    await mgr.stop();
  });

  it('starts a startBeforeSync controller while a cache is still unsynced: what needs that cache waits for the sync, the rest does not', async () => {
    const { log } = memoryLogger('runtime-test', 'info');
    const client = testClient();
    await client.create(Kinds.ConfigMap, configMap(ns.name, 'early-plain', {}));
    await client.create(Kinds.ConfigMap, configMap(ns.name, 'early-needs', { secret: 'early-s' }));
    await client.create(Kinds.Secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'early-s', namespace: ns.name }, data: {} });
    const mgr = testManager(ns.name, log);
    managers.push(mgr);
    const cms = mgr.informer<ConfigMap>(Kinds.ConfigMap);
    const secrets = mgr.informer(Kinds.Secret);
    const early: string[] = [];
    const late: string[] = [];
    mgr
      .controller('early')
      .for(Kinds.ConfigMap)
      .withOptions({ startBeforeSync: true })
      .complete(async (req) => {
        const cm = cms.store.get(req.key);
        const secret = cm?.data?.secret;
        if (!cm?.metadata.name?.startsWith('early-')) return;
        // Not cached may only mean not arrived yet, until the Secrets have synced.
        if (secret && !secrets.store.get(`${ns.name}/${secret}`) && !secrets.hasSynced()) return { afterSync: true };
        early.push(`${cm.metadata.name}${secret ? ` with ${secrets.store.get(`${ns.name}/${secret}`) ? secret : 'none'}` : ''}`);
      });
    mgr
      .controller('late')
      .for(Kinds.ConfigMap)
      .complete(async (req) => void late.push(req.name));
    // The Secrets' first list is held back (the informer's fault hook): the manager cannot sync.
    secrets.pause();
    const started = mgr.start();
    await waitUntil('early-plain reconciled before the sync', () => early.includes('early-plain'), 30_000);
    expect(mgr.ready()).toBe(false);
    await consistently('early-needs waits for the Secrets, the other controller for every cache', () => !early.some((e) => e.startsWith('early-needs')) && late.length === 0, 1_000);
    secrets.resume();
    await started;
    expect(mgr.ready()).toBe(true);
    await waitUntil('early-needs reconciled after the sync', () => early.includes('early-needs with early-s'), 30_000);
    await waitUntil('the other controller started at the sync', () => late.includes('early-needs') && late.includes('early-plain'), 30_000);
    expect(early.filter((e) => e === 'early-plain')).toHaveLength(1);
    const totals = await mgr.metrics.reconcileTotal.get();
    const setAside = totals.values.filter((v) => v.labels.controller === 'early' && v.labels.result === 'requeue').reduce((n, v) => n + v.value, 0);
    expect(setAside).toBeGreaterThanOrEqual(1);
    await mgr.stop();
  });

  it('reconciles a key updated 100 times during one slow reconcile a few times, never concurrently', async () => {
    const { log } = memoryLogger('runtime-test', 'info');
    const client = testClient();
    await client.create(Kinds.ConfigMap, configMap(ns.name, 'hot', { n: '-1' }));
    const mgr = testManager(ns.name, log);
    managers.push(mgr);
    const cache = mgr.informer<ConfigMap>(Kinds.ConfigMap);
    let active = 0;
    let maxActive = 0;
    const seen: string[] = [];
    let release!: () => void;
    const updatesDone = new Promise<void>((r) => (release = r));
    mgr
      .controller('slow')
      .for(Kinds.ConfigMap, { predicates: [(e) => e.obj.metadata.name === 'hot'] })
      .withOptions({ concurrency: 4 })
      .complete(async (req) => {
        if (req.name !== 'hot') return;
        active++;
        maxActive = Math.max(maxActive, active);
        try {
          seen.push(cache.store.get(req.key)?.data?.n ?? 'gone');
          if (seen.length === 1) await updatesDone;
          else await sleep(50);
        } finally {
          active--;
        }
      });
    await mgr.start();
    await waitUntil('the first reconcile to start', () => seen.length === 1);
    for (let i = 0; i < 100; i++) {
      await client.patch(Kinds.ConfigMap, { namespace: ns.name, name: 'hot' }, { data: { n: String(i) } }, { type: 'merge' });
    }
    await waitUntil('the cache to see the last update', () => cache.store.get(`${ns.name}/hot`)?.data?.n === '99');
    release();
    await waitUntil('a reconcile of the final state, finished', () => seen.at(-1) === '99' && active === 0);
    const settled = seen.length;
    await consistently('no reconcile after the final state', () => seen.length === settled && active === 0, 500);
    expect(maxActive).toBe(1);
    expect(seen[0]).toBe('-1');
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.length).toBeLessThanOrEqual(3);
    await mgr.stop();
  });

  it('does not reconcile again for the watch event of its own last write, and does for anyone else\'s', async () => {
    const { log } = memoryLogger('runtime-test', 'info');
    const client = testClient();
    const mgr = testManager(ns.name, log);
    managers.push(mgr);
    const cache = mgr.informer<ConfigMap>(Kinds.ConfigMap);
    const versions: string[] = [];
    mgr
      .controller('annotator')
      .for(Kinds.ConfigMap, { predicates: [(e) => e.obj.metadata.name === 'own'] })
      .complete(async (req, { signal }) => {
        const cm = cache.store.get(req.key);
        if (!cm || req.name !== 'own') return;
        versions.push(cm.metadata.resourceVersion!);
        if (cm.metadata.annotations?.done !== 'yes') await mgr.writer.patch(Kinds.ConfigMap, cm, { metadata: { annotations: { done: 'yes' } } }, { signal });
      });
    await mgr.start();
    await client.create(Kinds.ConfigMap, configMap(ns.name, 'own', { v: '1' }));
    await waitUntil('the own write in the cache', () => cache.store.get(`${ns.name}/own`)?.metadata.annotations?.done === 'yes');
    const written = cache.store.get(`${ns.name}/own`)!.metadata.resourceVersion!;
    await consistently('one reconcile: none for the own write coming back', () => versions.length === 1 && !versions.includes(written), 1_000);
    // Another writer's change is work again.
    await client.patch(Kinds.ConfigMap, { namespace: ns.name, name: 'own' }, { data: { v: '2' } }, { type: 'merge' });
    await waitUntil('a reconcile of the outside change', () => versions.length === 2);
    await mgr.stop();
  });

  it("parents a reconcile's span on the object's trace-context annotation and logs the trace id", async () => {
    const { log, lines } = memoryLogger();
    const client = testClient();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const spanId = '00f067aa0ba902b7';
    await client.create(
      Kinds.ConfigMap,
      configMap(ns.name, 'traced', { a: '1' }, { [TRACE_CONTEXT_ANNOTATION]: JSON.stringify({ traceparent: `00-${traceId}-${spanId}-01`, tracestate: 'vendor=x' }) }),
    );
    const mgr = testManager(ns.name, log);
    managers.push(mgr);
    let childCreated = false;
    mgr
      .controller('tracer')
      .for(Kinds.ConfigMap, { predicates: [(e) => e.obj.metadata.name === 'traced'] })
      .complete(async (req, ctx) => {
        if (req.name !== 'traced') return;
        ctx.log.info('reconciling traced object');
        if (!childCreated) {
          // The helper writes the active trace context on what a reconcile creates.
          await mgr.writer.create(Kinds.ConfigMap, configMap(ns.name, 'traced-child'));
          childCreated = true;
        }
      });
    await mgr.start();
    await waitUntil('the reconcile span', () => spans.getFinishedSpans().some((s) => s.name === 'reconcile ConfigMap' && s.attributes['k8s.object.name'] === 'traced'));
    const span = spans.getFinishedSpans().find((s) => s.name === 'reconcile ConfigMap' && s.attributes['k8s.object.name'] === 'traced')!;
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanContext?.spanId).toBe(spanId);
    expect(span.parentSpanContext?.isRemote).toBe(true);
    expect(span.attributes).toMatchObject({ 'k8s.controller': 'tracer', 'k8s.namespace.name': ns.name, 'k8s.kind': 'ConfigMap' });

    const line = lines.find((l) => l.msg === 'reconciling traced object');
    expect(line).toMatchObject({ controller: 'tracer', namespace: ns.name, name: 'traced', trace_id: traceId, span_id: span.spanContext().spanId });
    expect(line?.reconcileID).toMatch(/^[0-9a-f-]{36}$/);

    const child = await client.get<ConfigMap>(Kinds.ConfigMap, { namespace: ns.name, name: 'traced-child' });
    const carried = JSON.parse(child.metadata.annotations?.[TRACE_CONTEXT_ANNOTATION] ?? '{}') as { traceparent?: string };
    expect(carried.traceparent).toBe(`00-${traceId}-${span.spanContext().spanId}-01`);
    await mgr.stop();
  });
});
