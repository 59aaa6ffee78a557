/**
 * Property-based fuzz of the HTTPS handler: random and malformed AdmissionReview bodies never
 * crash it and never get a 5xx; malformed input gets a 400 with a reason; well-formed reviews
 * get a 200 answer for the same uid, never the internal-error refusal.
 */
import { Agent } from 'node:https';
import fc from 'fast-check';
import { createLogger, Registry } from '@agent-sandbox/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admissionReview, claim, pool, podSpec, sandbox, scale, template, testPolicy, type ReviewInput } from '../testing/fixtures.ts';
import type { JsonRecord } from '../util/json.ts';
import { startWebhook, type RunningWebhook } from '../webhook.ts';
import { post } from './https-client.ts';

let webhook: RunningWebhook;
let base: string;
let ca: string;
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

beforeAll(async () => {
  webhook = await startWebhook({
    bind: { host: '127.0.0.1', port: 0 },
    log: createLogger({ program: 'fuzz', level: 'silent' }),
    registry: new Registry(),
    policy: testPolicy(),
    dnsNames: ['127.0.0.1'],
  });
  base = `https://127.0.0.1:${webhook.address.port}`;
  ca = webhook.caPem!;
});
afterAll(async () => {
  agent.destroy();
  await webhook?.stop();
});

const paths = fc.constantFrom('/mutate', '/validate');

/** Checks one answer against the contract; returns the parsed body. */
function checkAnswer(answer: { status: number; body: string }, uid?: string): JsonRecord {
  expect([200, 400]).toContain(answer.status);
  const body = JSON.parse(answer.body) as JsonRecord;
  if (answer.status === 400) {
    expect(body).toMatchObject({ kind: 'Status', status: 'Failure', code: 400, reason: 'BadRequest' });
    expect(typeof body.message).toBe('string');
    expect((body.message as string).length).toBeGreaterThan(10);
    return body;
  }
  const response = body.response as JsonRecord;
  expect(body).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
  if (uid !== undefined) expect(response.uid).toBe(uid);
  expect(typeof response.allowed).toBe('boolean');
  const status = response.status as JsonRecord | undefined;
  expect(status?.reason).not.toBe('InternalError');
  if (response.patch !== undefined) expect(Array.isArray(JSON.parse(Buffer.from(response.patch as string, 'base64').toString('utf8')))).toBe(true);
  return body;
}

const RESOURCES: ReviewInput['resource'][] = ['sandboxes', 'sandboxtemplates', 'sandboxclaims', 'sandboxwarmpools', 'sandboxwarmpools/scale'];
const seedObject = (resource: ReviewInput['resource']): JsonRecord =>
  ({
    sandboxes: sandbox('s', podSpec({ initContainers: [{ name: 'i' }], volumes: [{ name: 'v', emptyDir: {} }] })),
    sandboxtemplates: template('t'),
    sandboxclaims: claim('c', { lifecycle: { shutdownTime: '2030-01-01T00:00:00Z' }, additionalPodMetadata: { labels: { 'sandbox.users.io/a': 'b' } } }),
    sandboxwarmpools: pool('p', { maxReplicas: 5 }),
    'sandboxwarmpools/scale': scale('p', 3),
  })[resource];

/** Replaces the value at a random path of `doc` with `value`. */
function graft(doc: unknown, steps: number[], value: unknown): unknown {
  if (steps.length === 0 || doc === null || typeof doc !== 'object') return value;
  const keys = Object.keys(doc);
  if (keys.length === 0) return value;
  const key = keys[steps[0]! % keys.length]!;
  const copy = (Array.isArray(doc) ? [...doc] : { ...doc }) as Record<string, unknown>;
  copy[key] = graft(copy[key], steps.slice(1), value);
  return copy;
}

describe('the HTTPS handler under fuzz', () => {
  it('answers arbitrary bytes with 200 or a 400 with a reason', async () => {
    await fc.assert(
      fc.asyncProperty(paths, fc.oneof(fc.uint8Array({ maxLength: 2048 }), fc.string({ maxLength: 2048 }).map((s) => new TextEncoder().encode(s))), async (path, bytes) => {
        checkAnswer(await post(base + path, bytes, { ca, agent }));
      }),
      { numRuns: 300 },
    );
  });

  it('answers arbitrary JSON with 200 or a 400 with a reason', async () => {
    await fc.assert(
      fc.asyncProperty(paths, fc.jsonValue({ maxDepth: 6 }), async (path, value) => {
        checkAnswer(await post(base + path, JSON.stringify(value), { ca, agent }));
      }),
      { numRuns: 300 },
    );
  });

  it('answers reviews with a random part replaced, never with an internal error', async () => {
    const review = fc.record({
      resource: fc.constantFrom(...RESOURCES),
      operation: fc.constantFrom('CREATE' as const, 'UPDATE' as const, 'DELETE' as const),
      steps: fc.array(fc.nat(), { minLength: 0, maxLength: 8 }),
      value: fc.anything({ maxDepth: 4, withNullPrototype: false }),
      uid: fc.uuid(),
    });
    await fc.assert(
      fc.asyncProperty(paths, review, async (path, r) => {
        const object = seedObject(r.resource);
        const body = admissionReview({ resource: r.resource, operation: r.operation, object, oldObject: object, uid: r.uid });
        const request = body.request as JsonRecord;
        // Graft into the object most of the time, sometimes anywhere in the review.
        const target = r.steps.length > 0 && r.steps[0]! % 4 === 0 ? body : request.object;
        const mutated = target === body ? graft(body, r.steps.slice(1), r.value) : { ...body, request: { ...request, object: graft(request.object, r.steps, r.value) } };
        const text = JSON.stringify(mutated) ?? 'null';
        const answer = await post(base + path, text, { ca, agent });
        const still = (mutated as JsonRecord)?.request as JsonRecord | undefined;
        checkAnswer(answer, answer.status === 200 ? (still?.uid as string) : undefined);
      }),
      { numRuns: 500 },
    );
  });

  it('answers deep random pod specs with a verdict, never an internal error', async () => {
    const container = fc.dictionary(fc.constantFrom('name', 'securityContext', 'resources', 'ports', 'image', 'x'), fc.anything({ maxDepth: 3 }));
    const spec = fc.record(
      {
        containers: fc.oneof(fc.array(fc.oneof(container, fc.anything({ maxDepth: 2 })), { maxLength: 3 }), fc.anything({ maxDepth: 2 })),
        initContainers: fc.array(container, { maxLength: 2 }),
        volumes: fc.array(fc.dictionary(fc.constantFrom('name', 'hostPath', 'emptyDir'), fc.anything({ maxDepth: 2 })), { maxLength: 2 }),
        securityContext: fc.anything({ maxDepth: 3 }),
        runtimeClassName: fc.anything({ maxDepth: 1 }),
        os: fc.oneof(fc.constant({ name: 'windows' }), fc.anything({ maxDepth: 1 })),
        hostNetwork: fc.anything({ maxDepth: 0 }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(paths, spec, fc.constantFrom('sandboxes' as const, 'sandboxtemplates' as const), async (path, podSpecValue, resource) => {
        const object = sandbox('fz', podSpecValue as JsonRecord);
        const body = admissionReview({ resource, operation: 'CREATE', object, uid: 'fz-1' });
        const answer = await post(base + path, JSON.stringify(body), { ca, agent });
        expect(answer.status).toBe(200);
        checkAnswer(answer, 'fz-1');
      }),
      { numRuns: 300 },
    );
  });

  it('refuses wrong paths, methods, media types and oversized bodies with a 4xx and a reason', async () => {
    const review = JSON.stringify(admissionReview({ resource: 'sandboxes', operation: 'CREATE', object: sandbox('x') }));
    const cases = [
      [await post(`${base}/admit`, review, { ca }), 404, 'no webhook at /admit; use /mutate or /validate'],
      [await post(`${base}/validate`, '', { ca, method: 'PUT' }), 405, 'use POST for /validate; got PUT'],
      [await post(`${base}/validate`, review, { ca, contentType: 'text/yaml' }), 415, 'the body must be application/json; got text/yaml'],
      [await post(`${base}/validate`, Buffer.alloc(9 * 1024 * 1024, 32), { ca }), 413, 'the body may be at most 8388608 bytes'],
      [await post(`${base}/validate`, '{"apiVersion":', { ca }), 400, 'the body is not valid JSON'],
    ] as const;
    for (const [answer, code, reason] of cases) {
      expect(answer.status).toBe(code);
      expect((JSON.parse(answer.body) as JsonRecord).message).toContain(reason);
    }
    // and it still serves
    const ok = await post(`${base}/validate`, review, { ca, contentType: null });
    expect(ok.status).toBe(200);
  });
});

describe('logs', () => {
  it('never carry request bodies: no values, only paths and verdicts', async () => {
    const lines: string[] = [];
    const destination = { write: (line: string) => void lines.push(line) };
    const logged = await startWebhook({
      bind: { host: '127.0.0.1', port: 0 },
      log: createLogger({ program: 'log-test', level: 'trace', destination }),
      policy: testPolicy(),
      dnsNames: ['127.0.0.1'],
    });
    try {
      const secret = 'sk-live-7f3a9c2e-do-not-log';
      const spec = podSpec({ hostNetwork: true, containers: [{ name: 'main', image: 'x', env: [{ name: 'API_KEY', value: secret }], securityContext: { privileged: true } }] });
      const url = `https://127.0.0.1:${logged.address.port}`;
      for (const path of ['/mutate', '/validate']) {
        const body = JSON.stringify(admissionReview({ resource: 'sandboxes', operation: 'CREATE', object: sandbox('leaky', spec) }));
        expect((await post(url + path, body, { ca: logged.caPem! })).status).toBe(200);
      }
      await post(`${url}/validate`, `{"broken": "${secret}`, { ca: logged.caPem! });
      const quoted = await post(`${url}/validate`, `{"broken": ${secret}}`, { ca: logged.caPem! });
      expect(quoted.status).toBe(400);
      await post(`${url}/validate`, JSON.stringify({ apiVersion: secret, kind: 'AdmissionReview' }), { ca: logged.caPem! });
      await new Promise((r) => setTimeout(r, 50));
      const records = lines.map((l) => JSON.parse(l) as JsonRecord);
      expect(records.some((r) => r.msg === 'review refused')).toBe(true);
      expect(records.some((r) => r.msg === 'review answered')).toBe(true);
      expect(records.some((r) => r.msg === 'refused a malformed request')).toBe(true);
      for (const line of lines) {
        expect(line).not.toContain('sk-live'); // not even the part V8 quotes in its JSON errors
        expect(line).not.toContain('API_KEY');
      }
    } finally {
      await logged.stop();
    }
  });
});
