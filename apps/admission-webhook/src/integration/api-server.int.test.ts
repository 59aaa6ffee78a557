/**
 * The real API server calling the webhook over TLS on loopback: the corpus refused with its
 * messages, good objects stored with only the documented defaults added, trusted service
 * accounts, updates, the scale subresource, metrics.
 */
import { KubeConfig, RbacAuthorizationV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { badInputs } from '../testing/bad-inputs.ts';
import { claim, container, pool, podSpec, RESOURCE_INFO, sandbox, template, testPolicy, TRUSTED_USER } from '../testing/fixtures.ts';
import type { JsonRecord } from '../util/json.ts';
import { refusal, startHarness, type Harness } from './harness.ts';

const DENIED = 'admission webhook "validate.agents.x-k8s.io" denied the request: ';
let h: Harness;

beforeAll(async () => {
  h = await startHarness('webhook-api', testPolicy());
});
afterAll(async () => {
  await h?.close();
});

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

describe('the corpus through the API server', () => {
  const corpus = badInputs(Date.now()).filter((c) => c.viaApi && c.input.operation === 'CREATE');

  it('delivers a good share of the corpus', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
  });

  it.each(corpus.map((c) => [c.name, c] as const))('refuses: %s', async (_name, bad) => {
    const { code, message } = await refusal(h.create(bad.input.resource, bad.input.object!));
    expect(code).toBe(403);
    expect(message.startsWith(DENIED)).toBe(true);
    for (const expected of bad.expect) expect(message).toContain(expected);
    // one problem per expected message: "; " separates them
    expect(message.slice(DENIED.length).split(/; (?=(?:metadata|spec)\.)/)).toHaveLength(bad.expect.length);
  });
});

describe('good objects through the API server', () => {
  const defaultedContainer = (c: JsonRecord) => ({ ...c, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } });

  it.each([
    ['sandboxes', sandbox] as const,
    ['sandboxtemplates', template] as const,
  ])('%s: stored with only the documented defaults added to the pod spec', async (resource, make) => {
    const spec = podSpec({ initContainers: [container('setup')], containers: [container('main'), container('side')] });
    const stored = await h.create(resource, make(`good-${resource}`, spec, { labels: { team: 'a' } }));
    expect(((stored.spec as JsonRecord).podTemplate as JsonRecord).spec).toEqual({
      ...spec,
      automountServiceAccountToken: false,
      runtimeClassName: 'gvisor',
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      initContainers: [defaultedContainer(container('setup'))],
      containers: [defaultedContainer(container('main')), defaultedContainer(container('side'))],
    });
    expect((stored.metadata as JsonRecord).labels).toEqual({ team: 'a' });
  });

  it('keeps explicit choices the policy allows', async () => {
    const spec = podSpec({
      automountServiceAccountToken: true,
      runtimeClassName: 'kata',
      securityContext: { seccompProfile: { type: 'Unconfined' } },
      containers: [container('main', { securityContext: { allowPrivilegeEscalation: true, capabilities: { drop: ['NET_RAW'] } } })],
    });
    const stored = await h.create('sandboxes', sandbox('explicit', spec));
    expect(((stored.spec as JsonRecord).podTemplate as JsonRecord).spec).toEqual(spec);
  });

  it('stamps a new claim with webhook-first-observed-at, replacing a client\'s value', async () => {
    const before = Date.now();
    const stored = await h.create('sandboxclaims', claim('stamped', { lifecycle: { shutdownTime: new Date(Date.now() + 3_600_000).toISOString() } }, {
      labels: { 'agents.x-k8s.io/created-by': 'typescript-client' },
      annotations: { 'agents.x-k8s.io/webhook-first-observed-at': '2000-01-01T00:00:00Z', 'agents.x-k8s.io/client-first-requested-at': new Date().toISOString() },
    }));
    const stamp = ((stored.metadata as JsonRecord).annotations as Record<string, string>)['agents.x-k8s.io/webhook-first-observed-at']!;
    expect(stamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(Date.parse(stamp)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(stamp)).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('admits a pool at the ceiling', async () => {
    await expect(h.create('sandboxwarmpools', pool('at-ceiling', { replicas: 10 }))).resolves.toBeDefined();
  });
});

describe('updates through the API server', () => {
  const info = RESOURCE_INFO.sandboxwarmpools;
  const poolApi = () => ({ group: info.group, version: info.version, namespace: h.namespace, plural: info.plural });

  it('refuses raising a pool\'s replicas above the ceiling, by spec and by the scale subresource', async () => {
    await h.create('sandboxwarmpools', pool('scaled', { replicas: 2, maxReplicas: 3 }));
    // Through the spec the CRD's own CEL rule answers first (the handler's answer is in the corpus).
    const bySpec = await refusal(h.objects.patchNamespacedCustomObject({ ...poolApi(), name: 'scaled', body: { spec: { replicas: 4 } } }, merge));
    expect(bySpec.message).toContain('replicas must not exceed maxReplicas');
    const overClusterBySpec = await refusal(h.objects.patchNamespacedCustomObject({ ...poolApi(), name: 'scaled', body: { spec: { replicas: 11, maxReplicas: null } } }, merge));
    expect(overClusterBySpec.message).toBe(`${DENIED}spec.replicas: Invalid value: "11": must be no more than 10, the cluster's ceiling on warm pool replicas; lower replicas or ask an administrator to raise the ceiling`);

    const byScale = await refusal(h.objects.patchNamespacedCustomObjectScale({ ...poolApi(), name: 'scaled', body: { spec: { replicas: 4 } } }, merge));
    expect(byScale.message).toContain('replicas must not exceed maxReplicas');

    // Above the cluster's ceiling (which no CRD rule knows) the webhook answers, scale or not.
    await h.create('sandboxwarmpools', pool('scaled-free', { replicas: 2 }));
    const overCluster = await refusal(h.objects.patchNamespacedCustomObjectScale({ ...poolApi(), name: 'scaled-free', body: { spec: { replicas: 11 } } }, merge));
    expect(overCluster.code).toBe(403);
    expect(overCluster.message).toBe(`${DENIED}spec.replicas: Invalid value: "11": must be no more than 10, the cluster's ceiling on warm pool replicas (scale subresource); lower replicas or ask an administrator to raise the ceiling`);

    await h.objects.patchNamespacedCustomObjectScale({ ...poolApi(), name: 'scaled', body: { spec: { replicas: 3 } } }, merge);
    const stored = (await h.objects.getNamespacedCustomObject({ ...poolApi(), name: 'scaled' })) as { spec: { replicas: number } };
    expect(stored.spec.replicas).toBe(3);
  });

  it('refuses changing a claim\'s warmPoolRef and a reserved label', async () => {
    const claimInfo = RESOURCE_INFO.sandboxclaims;
    const api = { group: claimInfo.group, version: claimInfo.version, namespace: h.namespace, plural: claimInfo.plural };
    await h.create('sandboxclaims', claim('fixed'));
    const moved = await refusal(h.objects.patchNamespacedCustomObject({ ...api, name: 'fixed', body: { spec: { warmPoolRef: { name: 'other' } } } }, merge));
    // The CRD's CEL rule answers before validating webhooks run; both say the same.
    expect(moved.code).toBeGreaterThanOrEqual(400);
    expect(moved.message).toContain('warmPoolRef is immutable');

    const relabelled = await refusal(h.objects.patchNamespacedCustomObject({ ...api, name: 'fixed', body: { metadata: { annotations: { 'agents.x-k8s.io/webhook-first-observed-at': null } } } }, merge));
    expect(relabelled.message).toBe(`${DENIED}metadata.annotations[agents.x-k8s.io/webhook-first-observed-at]: Forbidden: "agents.x-k8s.io/webhook-first-observed-at": reserved key: only the Agent Sandbox programs may remove it; keep it`);
  });

  it('lets the programs\' service account write reserved keys that a user may not', async () => {
    // RBAC for the impersonated service account in the test namespace only.
    const rbac = h.kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: h.namespace,
      body: { metadata: { name: 'agent-sandbox' }, rules: [{ apiGroups: ['agents.x-k8s.io', 'extensions.agents.x-k8s.io'], resources: ['*'], verbs: ['*'] }] },
    });
    const [, , namespace, name] = TRUSTED_USER.split(':');
    await rbac.createNamespacedRoleBinding({
      namespace: h.namespace,
      body: {
        metadata: { name: 'agent-sandbox' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'agent-sandbox' },
        subjects: [{ kind: 'ServiceAccount', name: name!, namespace: namespace! }],
      },
    });
    const asController = new KubeConfig();
    asController.loadFromString(h.kc.exportConfig());
    const user = asController.getCurrentUser()!;
    asController.users = asController.users.map((u) => (u.name === user.name ? { ...u, impersonateUser: TRUSTED_USER } : u));

    const member = sandbox('member', podSpec(), { labels: { 'agents.x-k8s.io/claim-uid': 'u-1' } }, { labels: { 'agents.x-k8s.io/claim-uid': 'u-1' } });
    const refused = await refusal(h.create('sandboxes', member));
    expect(refused.message).toContain('metadata.labels[agents.x-k8s.io/claim-uid]: Forbidden');
    // RBAC caches can lag a moment behind the binding.
    let stored: JsonRecord | undefined;
    for (let i = 0; i < 50 && !stored; i++) {
      stored = await h.create('sandboxes', member, { kc: asController }).catch(async (err: { code?: number }) => {
        if (err.code !== 403 || i === 49) throw err;
        await new Promise((r) => setTimeout(r, 100));
        return undefined;
      });
    }
    expect((stored!.metadata as JsonRecord).labels).toEqual({ 'agents.x-k8s.io/claim-uid': 'u-1' });

    // A user may edit the object and keep the reserved label, but not change it.
    const sandboxApi = { group: RESOURCE_INFO.sandboxes.group, version: RESOURCE_INFO.sandboxes.version, namespace: h.namespace, plural: 'sandboxes' };
    await h.objects.patchNamespacedCustomObject({ ...sandboxApi, name: 'member', body: { metadata: { annotations: { note: 'edited' } } } }, merge);
    const changed = await refusal(h.objects.patchNamespacedCustomObject({ ...sandboxApi, name: 'member', body: { metadata: { labels: { 'agents.x-k8s.io/claim-uid': 'u-2' } } } }, merge));
    expect(changed.message).toContain('reserved key: only the Agent Sandbox programs may change it; keep its value "u-1"');
  });
});

describe('metrics', () => {
  it('count reviews by webhook, kind, operation and verdict, and time them', async () => {
    const text = await h.registry.metrics();
    expect(text).toMatch(/agent_sandbox_webhook_reviews_total\{webhook="validate",kind="Sandbox",operation="CREATE",verdict="denied"\} \d+/);
    expect(text).toMatch(/agent_sandbox_webhook_reviews_total\{webhook="mutate",kind="SandboxClaim",operation="CREATE",verdict="patched"\} \d+/);
    expect(text).toMatch(/agent_sandbox_webhook_reviews_total\{webhook="validate",kind="Scale",operation="UPDATE",verdict="denied"\} \d+/);
    expect(text).toMatch(/agent_sandbox_webhook_review_duration_seconds_count\{webhook="validate"\} \d+/);
  });
});

