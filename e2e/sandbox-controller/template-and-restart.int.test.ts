import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kinds } from '@agent-sandbox/runtime';
import { conditionOf, consistently, controllerSuite, eventually, kube, podSpec, sandbox, SandboxKind, TemplateKind, waitUntil, type Obj, type Suite } from './harness.ts';

const FNV = (s: string) => {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
};

const template = (name: string, spec: Record<string, unknown> = {}): Obj => ({
  apiVersion: 'extensions.agents.x-k8s.io/v1beta1',
  kind: 'SandboxTemplate',
  metadata: { name },
  spec: { podTemplate: { spec: podSpec() }, ...spec },
});

describe('sandbox-controller: SandboxTemplate NetworkPolicy, and a restart mid-way', () => {
  let suite: Suite;
  let k: ReturnType<typeof kube>;
  let ns: string;
  beforeAll(async () => {
    suite = await controllerSuite('sc-tpl');
    ns = suite.ns.name;
    k = kube(suite.admin, ns);
  });
  afterAll(async () => {
    await suite?.teardown();
  });
  const getPolicy = (name: string) => suite.admin.get<Obj>(Kinds.NetworkPolicy, { namespace: ns, name });

  it('keeps the secure default policy, labels the template and says so in its status; repairs drift', async () => {
    const controller = await suite.start();
    const t = await k.create(TemplateKind, template('secure'));
    const policy = await eventually('policy', () => getPolicy('secure-network-policy'), () => true);
    expect(policy.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'SandboxTemplate', name: 'secure', uid: t.metadata.uid, controller: true })]);
    expect(policy.spec.podSelector).toEqual({ matchLabels: { 'agents.x-k8s.io/sandbox-template-ref-hash': FNV('secure') } });
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { app: 'sandbox-router' } }, namespaceSelector: {} }] }]);
    expect(policy.spec.egress).toEqual([{ to: [
      { ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16'] } },
      { ipBlock: { cidr: '::/0', except: ['fc00::/7', 'fe80::/10'] } },
    ] }]);
    const labelled = await eventually('template status', () => suite.admin.get<Obj>(TemplateKind, { namespace: ns, name: 'secure' }), (x) => conditionOf(x, 'Ready')?.reason === 'NetworkPolicyReady');
    expect(labelled.metadata.labels?.['agents.x-k8s.io/sandbox-template-ref-hash']).toBe(FNV('secure'));
    expect(labelled.status.observedGeneration).toBe(labelled.metadata.generation);
    expect(conditionOf(labelled, 'Ready')).toMatchObject({ status: 'True', observedGeneration: labelled.metadata.generation });

    // Drift: someone opens ingress to everything; the controller puts it back.
    await suite.admin.patch(Kinds.NetworkPolicy, { namespace: ns, name: 'secure-network-policy' }, { spec: { ingress: [{}] } }, { type: 'merge' });
    await eventually('drift repaired', () => getPolicy('secure-network-policy'), (p) => p.spec.ingress?.[0]?.from?.[0]?.podSelector?.matchLabels?.app === 'sandbox-router');
    // Deleted: made again.
    await suite.admin.delete(Kinds.NetworkPolicy, { namespace: ns, name: 'secure-network-policy' });
    await eventually('policy back', () => getPolicy('secure-network-policy'), (p) => p.metadata.uid !== policy.metadata.uid);
    await controller.stop();
  });

  it('uses the template\'s own rules, deletes the policy when Unmanaged, and refuses to overwrite one it does not own', async () => {
    const controller = await suite.start();
    await k.create(TemplateKind, template('custom', { networkPolicy: { ingress: [{ ports: [{ port: 8888 }] }], egress: [] } }));
    const custom = await eventually('custom policy', () => getPolicy('custom-network-policy'), () => true);
    expect(custom.spec.ingress).toEqual([{ ports: [{ port: 8888, protocol: 'TCP' }] }]);
    expect(custom.spec.egress ?? []).toEqual([]);
    expect(custom.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    // No drift loop from server defaults (protocol TCP): the policy settles.
    const settled = (await getPolicy('custom-network-policy')).metadata.resourceVersion;
    await consistently('the policy settled', async () => (await getPolicy('custom-network-policy')).metadata.resourceVersion === settled, 1_000);

    await k.mergePatch(TemplateKind, 'custom', { spec: { networkPolicyManagement: 'Unmanaged' } });
    await waitUntil('policy deleted', () => k.gone(Kinds.NetworkPolicy, 'custom-network-policy'));
    await eventually('unmanaged status', () => suite.admin.get<Obj>(TemplateKind, { namespace: ns, name: 'custom' }), (x) => conditionOf(x, 'Ready')?.reason === 'NetworkPolicyUnmanaged');

    const theirs = await k.create(Kinds.NetworkPolicy, { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'taken-network-policy' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } });
    await k.create(TemplateKind, template('taken'));
    const refused = await eventually('refusal', () => suite.admin.get<Obj>(TemplateKind, { namespace: ns, name: 'taken' }), (x) => conditionOf(x, 'Ready')?.status === 'False');
    expect(conditionOf(refused, 'Ready')).toMatchObject({ reason: 'ReconcilerError', message: expect.stringMatching(/not owned by this template/) });
    const untouched = await getPolicy('taken-network-policy');
    expect(untouched.metadata.resourceVersion).toBe(theirs.metadata.resourceVersion);
    // Once theirs is gone, the template's own takes its place.
    await k.delete(Kinds.NetworkPolicy, 'taken-network-policy');
    await eventually('own policy', () => getPolicy('taken-network-policy'), (p) => p.metadata.ownerReferences?.[0]?.name === 'taken');
    await eventually('ready again', () => suite.admin.get<Obj>(TemplateKind, { namespace: ns, name: 'taken' }), (x) => conditionOf(x, 'Ready')?.status === 'True');
    await controller.stop();
  });

  it('killed mid-way and started again, converges with nothing duplicated', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `r-${i}`);
    const first = await suite.start(['--workers=2']);
    await Promise.all(names.map((name) => k.create(SandboxKind, sandbox(ns, name, { service: i(name) % 2 === 0 }))));
    // Let it get part of the way, then crash it.
    await waitUntil('some pods', async () => (await k.pods()).length >= 5, 30_000, 20);
    await first.kill();
    const second = await suite.start(['--leader-elect', `--leader-election-namespace=${ns}`, '--leader-election-lease-duration=6s', '--leader-election-renew-deadline=4s', '--leader-election-retry-period=500ms']);
    await waitUntil('all Ready', async () => {
      const list = (await suite.admin.list<Obj>(SandboxKind, { namespace: ns })).items.filter((s) => s.metadata.name?.startsWith('r-'));
      return list.length === names.length && list.every((s) => conditionOf(s, 'Ready')?.status === 'True');
    }, 90_000, 250);
    const pods = (await k.pods()).filter((p) => p.metadata.name?.startsWith('r-'));
    expect(pods.map((p) => p.metadata.name).sort()).toEqual([...names].sort());
    expect(pods.every((p) => p.metadata.ownerReferences?.length === 1)).toBe(true);
    const services = (await k.services()).filter((s) => s.metadata.name?.startsWith('r-'));
    expect(services.map((s) => s.metadata.name).sort()).toEqual(names.filter((n) => i(n) % 2 === 0).sort());
    expect(second.lines.some((l) => l.msg === 'controller started')).toBe(true);
    await second.stop();
  });
});

function i(name: string): number {
  return Number(name.split('-')[1]);
}
