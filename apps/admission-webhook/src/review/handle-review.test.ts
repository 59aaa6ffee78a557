import { describe, expect, it } from 'vitest';
import { badInputs } from '../testing/bad-inputs.ts';
import { admissionReview, claim, container, podSpec, pool, sandbox, scale, template, testPolicy, TRUSTED_USER } from '../testing/fixtures.ts';
import { applyPatch } from '../testing/json-patch-apply.ts';
import type { JsonRecord } from '../util/json.ts';
import type { AdmissionReviewResponse } from './admission-review.ts';
import { handleReview, type ReviewContext } from './handle-review.ts';
import type { JsonPatchOp } from './json-patch.ts';

const NOW_MS = Date.parse('2026-03-01T12:00:00.000Z');
const NOW_NS = BigInt(NOW_MS) * 1_000_000n + 123_456n;

function context(poolMaxReplicas?: number): ReviewContext {
  return {
    policy: testPolicy,
    nowNs: () => NOW_NS,
    poolMaxReplicas: async () => poolMaxReplicas,
  };
}

function patchOf(review: AdmissionReviewResponse): JsonPatchOp[] {
  const { patch, patchType } = review.response;
  if (!patch) return [];
  expect(patchType).toBe('JSONPatch');
  return JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as JsonPatchOp[];
}

describe('the corpus of bad inputs, through the handler', () => {
  const corpus = badInputs(NOW_MS);

  it('has at least 50 cases, most of them deliverable by the API server', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(50);
    expect(corpus.filter((c) => c.viaApi).length).toBeGreaterThanOrEqual(40);
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length);
  });

  it.each(corpus.map((c) => [c.name, c] as const))('refuses: %s', async (_name, bad) => {
    // As at the API server: the mutating webhook first, then validation of what it produced.
    let input = bad.input;
    if (!bad.validateOnly && input.object) {
      const mutated = await handleReview('mutate', admissionReview(input), context());
      input = { ...input, object: applyPatch(input.object, patchOf(mutated.review)) };
    }
    const { review, verdict } = await handleReview('validate', admissionReview(input), context(bad.poolMaxReplicas));
    expect(verdict).toBe('denied');
    const { response } = review;
    expect(response.allowed).toBe(false);
    expect(response.uid).toBe('00000000-0000-0000-0000-000000000001');
    expect(response.status?.code).toBe(403);
    const causes = response.status?.details?.causes ?? [];
    // exactly the expected problems, each named with its field path and rule
    expect(causes).toHaveLength(bad.expect.length);
    for (const expected of bad.expect) expect(response.status?.message).toContain(expected);
    for (const cause of causes) expect(response.status?.message).toContain(`${cause.field}: `);
  });
});

describe('good inputs', () => {
  const secureContainer = (c: JsonRecord) => ({
    ...c,
    securityContext: { ...(c.securityContext as JsonRecord | undefined), allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
  });
  /** The documented defaults, applied by hand. */
  const defaulted = (spec: JsonRecord): JsonRecord => ({
    ...spec,
    automountServiceAccountToken: false,
    securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
    runtimeClassName: 'gvisor',
    containers: (spec.containers as JsonRecord[]).map(secureContainer),
    ...(spec.initContainers ? { initContainers: (spec.initContainers as JsonRecord[]).map(secureContainer) } : {}),
  });

  const goodSpec = podSpec({ initContainers: [container('setup')], containers: [container('main'), container('sidecar', { ports: [{ containerPort: 8888 }] })] });

  it.each([
    ['Sandbox', 'sandboxes', sandbox('good', goodSpec, { labels: { team: 'a' } }, { labels: { app: 'agent' } })],
    ['SandboxTemplate', 'sandboxtemplates', template('good', goodSpec, { annotations: { note: 'x' } })],
  ] as const)('%s: admitted, with only the documented defaults added', async (_kind, resource, object) => {
    const mutated = await handleReview('mutate', admissionReview({ resource, operation: 'CREATE', object }), context());
    expect(mutated.verdict).toBe('patched');
    const after = applyPatch(object, patchOf(mutated.review));
    const expected = structuredClone(object) as { spec: { podTemplate: { spec: JsonRecord } } };
    expected.spec.podTemplate.spec = defaulted(goodSpec);
    expect(after).toEqual(expected);

    const validated = await handleReview('validate', admissionReview({ resource, operation: 'CREATE', object: after }), context());
    expect(validated.review.response).toEqual({ uid: '00000000-0000-0000-0000-000000000001', allowed: true });
  });

  it('never overrides what the user set, even where validation allows an insecure choice', async () => {
    const spec = podSpec({
      automountServiceAccountToken: true,
      runtimeClassName: 'kata',
      securityContext: { seccompProfile: { type: 'Unconfined' } },
      containers: [container('main', { securityContext: { allowPrivilegeEscalation: true, capabilities: { drop: ['NET_RAW'] } } })],
    });
    const object = sandbox('explicit', spec);
    const { review, verdict } = await handleReview('mutate', admissionReview({ resource: 'sandboxes', operation: 'CREATE', object }), context());
    expect(verdict).toBe('allowed');
    expect(patchOf(review)).toEqual([]);
    const validated = await handleReview('validate', admissionReview({ resource: 'sandboxes', operation: 'CREATE', object }), context());
    expect(validated.verdict).toBe('allowed');
  });

  it('fills only the gaps next to fields the user set', async () => {
    const object = sandbox('partial', podSpec({ securityContext: { runAsNonRoot: true }, containers: [container('main', { securityContext: { capabilities: { add: ['NET_BIND_SERVICE'] } } })] }));
    const { review } = await handleReview('mutate', admissionReview({ resource: 'sandboxes', operation: 'UPDATE', object, oldObject: object }), context());
    const spec = (applyPatch(object, patchOf(review)).spec as JsonRecord).podTemplate as { spec: JsonRecord };
    expect(spec.spec.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect((spec.spec.containers as JsonRecord[])[0]!.securityContext).toEqual({
      capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
      allowPrivilegeEscalation: false,
    });
  });

  it('is idempotent: a defaulted object gets no further patch', async () => {
    const object = sandbox('twice', podSpec({ containers: [container('a'), container('b')] }));
    const first = await handleReview('mutate', admissionReview({ resource: 'sandboxes', operation: 'CREATE', object }), context());
    const once = applyPatch(object, patchOf(first.review));
    const second = await handleReview('mutate', admissionReview({ resource: 'sandboxes', operation: 'CREATE', object: once }), context());
    expect(second.verdict).toBe('allowed');
    expect(second.review.response.patch).toBeUndefined();
  });

  it('gives a Windows pod no Linux-only defaults, and a privileged container no allowPrivilegeEscalation', async () => {
    const windows = sandbox('win', podSpec({ os: { name: 'windows' } }));
    const w = applyPatch(windows, patchOf((await handleReview('mutate', admissionReview({ resource: 'sandboxes', operation: 'CREATE', object: windows }), context())).review));
    const wSpec = ((w.spec as JsonRecord).podTemplate as { spec: JsonRecord }).spec;
    expect(wSpec.securityContext).toBeUndefined();
    expect((wSpec.containers as JsonRecord[])[0]!.securityContext).toBeUndefined();
    expect(wSpec.automountServiceAccountToken).toBe(false);

    const privileged = sandbox('priv', podSpec({ containers: [container('main', { securityContext: { privileged: true } })] }));
    const p = applyPatch(privileged, patchOf((await handleReview('mutate', admissionReview({ resource: 'sandboxes', operation: 'CREATE', object: privileged }), context())).review));
    const pc = (((p.spec as JsonRecord).podTemplate as { spec: JsonRecord }).spec.containers as JsonRecord[])[0]!;
    expect(pc.securityContext).toEqual({ privileged: true, capabilities: { drop: ['ALL'] } });
  });

  it('refuses values of any shape with a message, never an internal error (found by the fuzz test)', async () => {
    // String(value) throws for an object whose toString is not a function.
    const odd = { toString: '' };
    const cases = [
      ['sandboxes', sandbox('odd-runtime', podSpec({ runtimeClassName: odd }))],
      ['sandboxclaims', claim('odd-time', { lifecycle: { shutdownTime: odd } })],
      ['sandboxclaims', claim('odd-label', {}, { labels: { 'agents.x-k8s.io/created-by': odd } })],
    ] as const;
    for (const [resource, object] of cases) {
      const { review, verdict } = await handleReview('validate', admissionReview({ resource, operation: 'CREATE', object }), context());
      expect(verdict).toBe('denied');
      expect(review.response.status?.reason).not.toBe('InternalError');
      expect(review.response.status?.message).toContain('toString');
    }
  });

  it('uses the namespace\'s default runtime class before the cluster\'s', async () => {
    const ctx = context();
    const policy = testPolicy();
    policy.podDefaults.runtimeClassNameByNamespace = { 'team-a': 'kata' };
    ctx.policy = () => policy;
    const object = sandbox('ns-default');
    const inA = applyPatch(object, patchOf((await handleReview('mutate', admissionReview({ resource: 'sandboxes', operation: 'CREATE', object }), ctx)).review));
    const inB = applyPatch(object, patchOf((await handleReview('mutate', admissionReview({ resource: 'sandboxes', operation: 'CREATE', object, namespace: 'team-b' }), ctx)).review));
    expect(((inA.spec as JsonRecord).podTemplate as { spec: JsonRecord }).spec.runtimeClassName).toBe('kata');
    expect(((inB.spec as JsonRecord).podTemplate as { spec: JsonRecord }).spec.runtimeClassName).toBe('gvisor');
  });

  it("gives a new claim without a trace context one, and keeps a client's own", async () => {
    const TRACE = 'opentelemetry.io/trace-context';
    for (const metadata of [{}, { annotations: { other: 'x' } }]) {
      const object = claim('untraced', {}, metadata);
      const after = applyPatch(object, patchOf((await handleReview('mutate', admissionReview({ resource: 'sandboxclaims', operation: 'CREATE', object }), context())).review));
      const value = JSON.parse((after.metadata as { annotations: Record<string, string> }).annotations[TRACE]!) as { traceparent: string };
      // Without tracing set up in this process, a fresh random (sampled) context: a trace of its own.
      expect(value.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(value.traceparent).not.toMatch(/^00-0{32}-/);
    }
    const own = JSON.stringify({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    const object = claim('traced', {}, { annotations: { [TRACE]: own } });
    const after = applyPatch(object, patchOf((await handleReview('mutate', admissionReview({ resource: 'sandboxclaims', operation: 'CREATE', object }), context())).review));
    expect((after.metadata as { annotations: Record<string, string> }).annotations[TRACE]).toBe(own);
    // Two claims, two traces.
    const twice = await Promise.all(
      [1, 2].map(async () => {
        const o = claim('untraced');
        return (applyPatch(o, patchOf((await handleReview('mutate', admissionReview({ resource: 'sandboxclaims', operation: 'CREATE', object: o }), context())).review)).metadata as { annotations: Record<string, string> }).annotations[TRACE];
      }),
    );
    expect(twice[0]).not.toBe(twice[1]);
  });

  it('stamps a new claim with the webhook time (RFC 3339, nanoseconds), replacing a forged one', async () => {
    const expected = '2026-03-01T12:00:00.000123456Z';
    for (const metadata of [{}, { annotations: { other: 'x' } }, { annotations: { 'agents.x-k8s.io/webhook-first-observed-at': '1999-01-01T00:00:00Z' } }]) {
      const object = claim('stamped', {}, metadata);
      const mutated = await handleReview('mutate', admissionReview({ resource: 'sandboxclaims', operation: 'CREATE', object }), context());
      const after = applyPatch(object, patchOf(mutated.review));
      expect((after.metadata as { annotations: Record<string, string> }).annotations['agents.x-k8s.io/webhook-first-observed-at']).toBe(expected);
      const validated = await handleReview('validate', admissionReview({ resource: 'sandboxclaims', operation: 'CREATE', object: after }), context());
      expect(validated.verdict).toBe('allowed');
    }
  });

  it.each([
    ['a claim with allowed metadata, a future shutdownTime and the SDK\'s own keys', 'sandboxclaims', claim('ok', {
      lifecycle: { shutdownTime: '2026-03-01T13:00:00Z', shutdownPolicy: 'Delete' },
      additionalPodMetadata: { labels: { 'sandbox.users.io/team': 'a', 'x.sandbox.users.io/y': 'b' }, annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false', note: 'hi' } },
    }, { labels: { 'agents.x-k8s.io/created-by': 'python-client' }, annotations: { 'agents.x-k8s.io/client-first-requested-at': '2026-03-01T11:59:59.5Z' } })],
    ['a claim whose shutdownTime is just inside the tolerance', 'sandboxclaims', claim('skew', { lifecycle: { shutdownTime: '2026-03-01T11:59:55Z' } })],
    ['a pool at the ceiling', 'sandboxwarmpools', pool('full', { replicas: 10 })],
    ['a pool within its own maxReplicas', 'sandboxwarmpools', pool('own', { replicas: 3, maxReplicas: 3 })],
  ] as const)('admits %s', async (_name, resource, object) => {
    const { review, verdict } = await handleReview('validate', admissionReview({ resource, operation: 'CREATE', object }), context());
    expect(review.response.status?.message).toBeUndefined();
    expect(verdict).toBe('allowed');
  });

  it('lets the programs\' service accounts write reserved keys, and users keep them unchanged', async () => {
    const before = sandbox('adopted', podSpec({ runtimeClassName: 'gvisor' }));
    const after = sandbox('adopted', podSpec({ runtimeClassName: 'gvisor' }), { labels: { 'agents.x-k8s.io/claim-uid': 'u1' } }, { labels: { 'agents.x-k8s.io/claim-uid': 'u1' } });
    const byController = await handleReview('validate', admissionReview({ resource: 'sandboxes', operation: 'UPDATE', oldObject: before, object: after, username: TRUSTED_USER }), context());
    expect(byController.verdict).toBe('allowed');
    const byGroup = testPolicy();
    byGroup.trusted.groups = ['agent-sandbox:controllers'];
    const viaGroup = await handleReview('validate', admissionReview({ resource: 'sandboxes', operation: 'UPDATE', oldObject: before, object: after, groups: ['agent-sandbox:controllers'] }), { ...context(), policy: () => byGroup });
    expect(viaGroup.verdict).toBe('allowed');
    const byUser = await handleReview('validate', admissionReview({ resource: 'sandboxes', operation: 'UPDATE', oldObject: before, object: after }), context());
    expect(byUser.verdict).toBe('denied');
    const edited = structuredClone(after);
    (edited.metadata as JsonRecord).annotations = { note: 'user edit' };
    const userEdit = await handleReview('validate', admissionReview({ resource: 'sandboxes', operation: 'UPDATE', oldObject: after, object: edited }), context());
    expect(userEdit.verdict).toBe('allowed');
  });

  it('lets a pool made under a higher ceiling be edited and scaled down (ratcheting)', async () => {
    const old = pool('big', { replicas: 50 });
    const edited = pool('big', { replicas: 50 }, { labels: { team: 'a' } });
    expect((await handleReview('validate', admissionReview({ resource: 'sandboxwarmpools', operation: 'UPDATE', oldObject: old, object: edited }), context())).verdict).toBe('allowed');
    const down = await handleReview('validate', admissionReview({ resource: 'sandboxwarmpools/scale', operation: 'UPDATE', oldObject: scale('big', 50), object: scale('big', 40) }), context());
    expect(down.verdict).toBe('allowed');
  });

  it('answers a scale review it cannot check with a retryable refusal, not an admission', async () => {
    const ctx: ReviewContext = { ...context(), poolMaxReplicas: async () => Promise.reject(new Error('connection refused')) };
    const { review, verdict } = await handleReview('validate', admissionReview({ resource: 'sandboxwarmpools/scale', operation: 'UPDATE', oldObject: scale('p', 1), object: scale('p', 5) }), ctx);
    expect(verdict).toBe('unavailable');
    expect(review.response.status).toMatchObject({ code: 503, message: expect.stringContaining('could not read SandboxWarmPool team-a/p to check its spec.maxReplicas (connection refused); try again') });
  });

  it("refuses a claim that would change a value its pool's template sets, and admits it when the template cannot be read", async () => {
    const asked: string[] = [];
    const ctx: ReviewContext = {
      ...context(),
      claimTemplateMetadata: async (namespace, poolName) => {
        asked.push(`${namespace}/${poolName}`);
        return { labels: { 'sandbox.users.io/tier': 'gold' }, annotations: { 'example.com/owner': 'platform' } };
      },
    };
    const changes = claim('c', { additionalPodMetadata: { labels: { 'sandbox.users.io/tier': 'free' }, annotations: { 'example.com/owner': 'platform' } } });
    const refused = await handleReview('validate', admissionReview({ resource: 'sandboxclaims', operation: 'CREATE', object: changes }), ctx);
    expect(refused.verdict).toBe('denied');
    expect(refused.review.response.status?.message).toContain(
      'spec.additionalPodMetadata.labels[sandbox.users.io/tier]: Forbidden: "free": the template sets sandbox.users.io/tier to "gold"; a claim may not change it',
    );
    expect(asked).toEqual(['team-a/pool']);
    // Adding new keys, or repeating the template's value, is fine.
    const adds = claim('d', { additionalPodMetadata: { labels: { 'sandbox.users.io/tier': 'gold', 'sandbox.users.io/run': '7' } } });
    expect((await handleReview('validate', admissionReview({ resource: 'sandboxclaims', operation: 'CREATE', object: adds }), ctx)).verdict).toBe('allowed');
    // An update that leaves the pod metadata as it was (the ttl-reaper's expired-at) is not
    // checked again against the template, nor is the template read for it.
    asked.length = 0;
    const expired = { ...changes, metadata: { ...(changes.metadata as JsonRecord), annotations: { 'agents.x-k8s.io/expired-at': '2026-03-01T12:00:00Z' } } };
    expect((await handleReview('validate', admissionReview({ resource: 'sandboxclaims', operation: 'UPDATE', oldObject: changes, object: expired, username: TRUSTED_USER }), ctx)).verdict).toBe('allowed');
    expect(asked).toEqual([]);
    // A failed read does not refuse the claim (the claim-controller applies the rule later).
    const unreadable: ReviewContext = { ...context(), claimTemplateMetadata: async () => Promise.reject(new Error('timeout')) };
    expect((await handleReview('validate', admissionReview({ resource: 'sandboxclaims', operation: 'CREATE', object: changes }), unreadable)).verdict).toBe('allowed');
  });

  it('holds an update that leaves the pod spec as it was to no pod rule made since (ratcheting)', async () => {
    // Admitted before the rule (or the webhook) existed.
    const before = sandbox('old', podSpec({ hostNetwork: true }));
    const annotated = { ...before, metadata: { ...(before.metadata as JsonRecord), annotations: { 'agents.x-k8s.io/expired-at': '2026-03-01T12:00:00Z' } } };
    const byReaper = await handleReview('validate', admissionReview({ resource: 'sandboxes', operation: 'UPDATE', oldObject: before, object: annotated, username: TRUSTED_USER }), context());
    expect(byReaper.verdict).toBe('allowed');
    const relabelled = { ...before, metadata: { ...(before.metadata as JsonRecord), labels: { team: 'a' } } };
    expect((await handleReview('validate', admissionReview({ resource: 'sandboxes', operation: 'UPDATE', oldObject: before, object: relabelled }), context())).verdict).toBe('allowed');
    // Touching the pod spec brings every rule back.
    const edited = sandbox('old', podSpec({ hostNetwork: true, hostname: 'x' }));
    expect((await handleReview('validate', admissionReview({ resource: 'sandboxes', operation: 'UPDATE', oldObject: before, object: edited }), context())).verdict).toBe('denied');
  });

  it('ignores kinds and subresources that are not its own', async () => {
    const body = admissionReview({ resource: 'sandboxes', operation: 'UPDATE', object: sandbox('s', podSpec({ hostNetwork: true })), oldObject: sandbox('s') });
    (body.request as JsonRecord).subResource = 'status';
    const { verdict, review } = await handleReview('validate', body, context());
    expect(verdict).toBe('ignored');
    expect(review.response.allowed).toBe(true);
  });
});
