/**
 * One trace per claim, as Jaeger stores it: the programs run as processes (each with exactly its
 * RBAC) exporting to a real Jaeger (built from its pinned module, in-memory storage) through the
 * standard OTEL_* variables, and the admission webhook registered with the API server for this
 * test's namespace. A claim created with a known traceparent must come back from Jaeger's query
 * API as one trace holding the webhook's review, the claim-controller's reconciles (parented on
 * the client's span) and the sandbox-controller's (children of the reconcile that bound the
 * Sandbox), with the API calls and the adoption's outcome; a warm and a cold claim differ.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TRACE_CONTEXT_ANNOTATION } from '@agent-sandbox/api';
import { freePort, registerLoopbackWebhooks, type LoopbackWebhooks } from '@agent-sandbox/controlplane';
import { testKubeConfig } from '@agent-sandbox/controlplane/testing';
import { fetchTrace, renderTrace, startJaeger, type Jaeger, type StoredSpan } from '@agent-sandbox/observability';
import { claim, ClaimKind, pool, PoolKind, readyOf, suite, template, TemplateKind, waitUntil, type Obj, type Suite } from '../claims/harness.ts';
import { eventually, ROOT, startProgram, type ProgramProcess } from '../support/programs.ts';

let jaeger: Jaeger;
let s: Suite;
let webhooks: LoopbackWebhooks | undefined;
let webhook: ProgramProcess | undefined;
let claimController: ProgramProcess;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

beforeAll(async () => {
  const t0 = Date.now();
  const mark = (what: string) => console.log(`setup: ${what} at +${Date.now() - t0} ms`);
  jaeger = await startJaeger();
  mark('jaeger up');
  s = await suite('traces');
  mark('suite ready');
  const otel = (service: string) => ({ env: { ...jaeger.otelEnv(service), OTEL_BSP_SCHEDULE_DELAY: '100' } });
  // The webhook as npm start registers it, confined to this test's namespace and configuration name.
  const port = await freePort();
  const name = `traces-webhook-${hex(3)}`;
  webhooks = await registerLoopbackWebhooks(testKubeConfig(), join(ROOT, 'deploy', 'webhook', 'webhook-configurations.yaml'), {
    url: `https://127.0.0.1:${port}`,
    name,
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': s.ns.name } },
    fieldManager: 'traces-test',
  });
  webhook = await startProgram(
    'admission-webhook',
    [
      `--kubeconfig=${inject('kubeconfig')}`,
      `--bind-address=127.0.0.1:${port}`,
      '--health-probe-bind-address=127.0.0.1:0',
      `--webhook-configuration-name=${name}`,
      // The programs run as ServiceAccounts of this test's namespace, not agent-sandbox-system.
      `--trusted-users=${['claim-controller', 'sandbox-controller', 'warmpool-orchestrator'].map((p) => `system:serviceaccount:${s.ns.name}:${p}`).join(',')}`,
    ],
    { env: otel('admission-webhook').env },
  );
  mark('webhook started');
  await eventually('the webhook ready (CA patched)', async () => (await fetch(`http://127.0.0.1:${webhook!.healthPort}/readyz`)).status, (code) => code === 200, 20_000);
  [claimController] = await Promise.all([
    // Debug: its "reconciled" line too, to check every line of a reconcile names the trace.
    s.start('claim-controller', ['--log-level=debug'], otel('claim-controller')),
    s.start('sandbox-controller', [], otel('sandbox-controller')),
    s.start('warmpool-orchestrator', [], otel('warmpool-orchestrator')),
  ]);
  mark('controllers started');
}, 400_000);

afterAll(async () => {
  await webhooks?.remove();
  await webhook?.stop();
  await s?.teardown();
  await jaeger?.stop();
}, 120_000);

/** Waits for the claim to be Ready, then for Jaeger to hold its trace with spans of `services`. */
async function traceOf(claimName: string, traceId: string, services: string[]): Promise<StoredSpan[]> {
  await waitUntil(`claim ${claimName} Ready`, async () => readyOf(await s.admin.get<Obj>(ClaimKind, { namespace: s.ns.name, name: claimName }))?.status === 'True', 60_000);
  return eventually(
    `trace ${traceId} with spans from ${services.join(', ')}`,
    () => fetchTrace(jaeger.queryUrl, traceId),
    (spans) => services.every((svc) => spans.some((sp) => sp.service === svc && /^(reconcile|admission|refill) /.test(sp.name))),
    30_000,
  );
}

const claimWithTrace = (name: string, poolName: string, traceId: string, parentId: string): Obj => {
  const c = claim(s.ns.name, name, poolName);
  c.metadata.annotations = { [TRACE_CONTEXT_ANNOTATION]: JSON.stringify({ traceparent: `00-${traceId}-${parentId}-01` }) };
  return c;
};

const of = (spans: StoredSpan[], service: string, name?: string) => spans.filter((sp) => sp.service === service && (name === undefined || sp.name === name));
const childrenOf = (spans: StoredSpan[], parent: StoredSpan) => spans.filter((sp) => sp.parentSpanId === parent.spanId);

describe('a claim in Jaeger', () => {
  let warm: StoredSpan[];
  let cold: StoredSpan[];

  it('is one trace from the client through the webhook, the claim-controller and the sandbox-controller (warm)', async () => {
    const ns = s.ns.name;
    await s.admin.create(TemplateKind, template(ns, 'traced-t'));
    await s.admin.create(PoolKind, pool(ns, 'traced', 'traced-t', 1));
    await waitUntil('a Ready member', async () => (await s.admin.get<Obj>(PoolKind, { namespace: ns, name: 'traced' })).status?.readyReplicas === 1, 120_000);

    const traceId = hex(16);
    const clientSpan = hex(8);
    await s.admin.create(ClaimKind, claimWithTrace('warm', 'traced', traceId, clientSpan));
    warm = await traceOf('warm', traceId, ['admission-webhook', 'claim-controller', 'sandbox-controller', 'warmpool-orchestrator']);
    console.log(`warm claim's trace:\n${renderTrace(warm)}`);
    expect(new Set(warm.map((sp) => sp.traceId))).toEqual(new Set([traceId]));

    // The webhook's reviews of the claim are children of the client's span.
    // (The claim-controller's own writes to the claim are reviewed too, as UPDATEs in the same trace.)
    const reviews = of(warm, 'admission-webhook').filter((sp) => sp.attributes['k8s.kind'] === 'SandboxClaim' && sp.attributes['admission.operation'] === 'CREATE');
    expect(reviews.map((r) => r.name).sort()).toEqual(['admission mutate SandboxClaim', 'admission validate SandboxClaim']);
    for (const r of reviews) {
      expect(r.parentSpanId).toBe(clientSpan);
      expect(r.attributes).toMatchObject({ 'k8s.namespace.name': ns, 'k8s.object.name': 'warm', 'admission.operation': 'CREATE', 'span.kind': 'server' });
    }

    // Every reconcile of the claim is a child of the client's span, after the reviews.
    const claimReconciles = of(warm, 'claim-controller', 'reconcile SandboxClaim');
    expect(claimReconciles.length).toBeGreaterThan(0);
    for (const r of claimReconciles) {
      expect(r.parentSpanId).toBe(clientSpan);
      expect(r.attributes).toMatchObject({ 'k8s.kind': 'SandboxClaim', 'k8s.namespace.name': ns, 'k8s.object.name': 'warm' });
      expect(typeof r.attributes['workqueue.wait_ms']).toBe('number');
      expect(r.startUs).toBeGreaterThanOrEqual(Math.min(...reviews.map((rv) => rv.startUs)));
    }
    // The one that bound it won a warm member in one PATCH (a client span with HTTP and k8s attributes).
    const binder = claimReconciles.find((r) => r.attributes['agent_sandbox.adoption.outcome'] !== undefined)!;
    expect(binder.attributes).toMatchObject({ 'agent_sandbox.adoption.outcome': 'won', 'agent_sandbox.claim.launch': 'warm' });
    const calls = childrenOf(warm, binder);
    const adoption = calls.find((c) => c.name === 'PATCH sandboxes');
    const apiServer = new URL(testKubeConfig().getCurrentCluster()!.server);
    expect(adoption?.attributes).toMatchObject({
      'http.request.method': 'PATCH',
      'http.response.status_code': 200,
      'k8s.resource': 'sandboxes',
      'k8s.resource.group': 'agents.x-k8s.io',
      'k8s.namespace.name': ns,
      'span.kind': 'client',
      'server.address': apiServer.hostname,
      'server.port': Number(apiServer.port),
    });
    expect(calls.some((c) => c.name === 'POST sandboxes')).toBe(false);

    // The sandbox-controller's reconciles of the adopted Sandbox are children of that reconcile.
    const sandboxReconciles = of(warm, 'sandbox-controller', 'reconcile Sandbox');
    expect(sandboxReconciles.length).toBeGreaterThan(0);
    for (const r of sandboxReconciles) {
      expect(r.parentSpanId).toBe(binder.spanId);
      expect(r.startUs).toBeGreaterThanOrEqual(binder.startUs);
    }
    // It relabelled the running Pod rather than creating one.
    const podCalls = sandboxReconciles.flatMap((r) => childrenOf(warm, r)).filter((c) => c.attributes['k8s.resource'] === 'pods');
    expect(podCalls.some((c) => c.name === 'PATCH pods')).toBe(true);
    expect(podCalls.some((c) => c.name === 'POST pods')).toBe(false);

    // The pool's refill joins too: a child of the adopting reconcile, linked to the pool's own
    // reconcile (in the pool's trace) that created the replacement.
    const refill = of(warm, 'warmpool-orchestrator', 'refill SandboxWarmPool');
    expect(refill).toHaveLength(1);
    expect(refill[0]!.parentSpanId).toBe(binder.spanId);
    expect(refill[0]!.attributes).toMatchObject({ 'k8s.kind': 'SandboxWarmPool', 'k8s.object.name': 'traced' });
    expect(refill[0]!.links).toHaveLength(1);
    const poolTrace = await fetchTrace(jaeger.queryUrl, refill[0]!.links[0]!.traceId);
    const poolReconcile = poolTrace.find((sp) => sp.spanId === refill[0]!.links[0]!.spanId);
    expect(poolReconcile?.name).toBe('reconcile SandboxWarmPool');
    expect(poolReconcile?.links).toContainEqual({ traceId, spanId: binder.spanId });
    expect(childrenOf(poolTrace, poolReconcile!).some((c) => c.name === 'POST sandboxes')).toBe(true);
  });

  it('differs for a cold claim: the claim-controller creates the Sandbox and the sandbox-controller its Pod', async () => {
    const ns = s.ns.name;
    await s.admin.create(PoolKind, pool(ns, 'empty', 'traced-t', 0));
    const traceId = hex(16);
    const clientSpan = hex(8);
    await s.admin.create(ClaimKind, claimWithTrace('cold', 'empty', traceId, clientSpan));
    cold = await traceOf('cold', traceId, ['admission-webhook', 'claim-controller', 'sandbox-controller']);
    console.log(`cold claim's trace:\n${renderTrace(cold)}`);

    const claimReconciles = of(cold, 'claim-controller', 'reconcile SandboxClaim');
    const binder = claimReconciles.find((r) => r.attributes['agent_sandbox.adoption.outcome'] !== undefined)!;
    expect(binder.attributes).toMatchObject({ 'agent_sandbox.adoption.outcome': 'cold', 'agent_sandbox.claim.launch': 'cold', 'agent_sandbox.pool.candidates': 0 });
    const calls = childrenOf(cold, binder);
    expect(calls.find((c) => c.name === 'POST sandboxes')?.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.response.status_code': 201, 'k8s.resource': 'sandboxes' });
    expect(calls.some((c) => c.name === 'PATCH sandboxes')).toBe(false);

    const sandboxReconciles = of(cold, 'sandbox-controller', 'reconcile Sandbox');
    for (const r of sandboxReconciles) expect(r.parentSpanId).toBe(binder.spanId);
    const podCreates = sandboxReconciles.flatMap((r) => childrenOf(cold, r)).filter((c) => c.name === 'POST pods');
    expect(podCreates).toHaveLength(1);
    expect(podCreates[0]!.attributes['http.response.status_code']).toBe(201);

    // The shapes differ as they should: warm has no Sandbox or Pod created in the claim's trace.
    const created = (spans: StoredSpan[]) => spans.filter((sp) => sp.name === 'POST sandboxes' || sp.name === 'POST pods').length;
    expect(created(warm)).toBe(0);
    expect(created(cold)).toBe(2);
  });

  it('logs every reconcile line with the trace and span ids', () => {
    const claimLines = claimController.lines.filter((l) => l.name === 'warm' && l.reconcileID);
    expect(claimLines.length).toBeGreaterThan(0);
    const spanIds = new Set(of(warm, 'claim-controller', 'reconcile SandboxClaim').map((sp) => sp.spanId));
    for (const line of claimLines) {
      expect(line.trace_id).toBe(warm[0]!.traceId);
      expect(spanIds.has(String(line.span_id))).toBe(true);
    }
  });
});
