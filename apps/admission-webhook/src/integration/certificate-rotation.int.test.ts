/**
 * Certificate rotation while requests keep coming: the API server's calls (on its kept-alive
 * connections) and fresh TLS connections (which see the new certificate) must all succeed,
 * whether the Secret volume is swapped atomically or a careless writer replaces the files
 * one after the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admissionReview, podSpec, sandbox, testPolicy } from '../testing/fixtures.ts';
import { post } from './https-client.ts';
import { refusal, startHarness, type Harness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness('webhook-rotation', testPolicy());
});
afterAll(async () => {
  await h?.close();
});

describe('certificate rotation', () => {
  it('replaces the serving certificate without a failed request', async () => {
    const failures: string[] = [];
    const fingerprints = new Set<string>();
    let apiCalls = 0;
    let directCalls = 0;
    let running = true;
    const review = JSON.stringify(admissionReview({ resource: 'sandboxes', operation: 'CREATE', object: sandbox('r', podSpec({ hostIPC: true })) }));

    // Through the API server: each dry-run create must be refused by the webhook (so it was reached).
    const apiLoop = (async () => {
      for (let i = 0; running; i++) {
        try {
          const { message } = await refusal(h.create('sandboxes', sandbox(`rot-${i}`, podSpec({ hostIPC: true })), { dryRun: true }));
          if (!message.includes('spec.podTemplate.spec.hostIPC: Forbidden')) failures.push(`api: ${message}`);
        } catch (err) {
          failures.push(`api: ${(err as Error).message}`);
        }
        apiCalls++;
      }
    })();
    // Directly, a new TLS connection each time, trusting only the CA.
    const directLoop = (async () => {
      while (running) {
        try {
          const answer = await post(`https://127.0.0.1:${h.webhook.address.port}/validate`, review, { ca: h.ca.caPem });
          fingerprints.add(answer.fingerprint);
          if (answer.status !== 200 || !answer.body.includes('"allowed":false')) failures.push(`direct: ${answer.status} ${answer.body.slice(0, 200)}`);
        } catch (err) {
          failures.push(`direct: ${(err as Error).message}`);
        }
        directCalls++;
      }
    })();

    const waitForNewCertificate = async (previous: string) => {
      const deadline = Date.now() + 10_000;
      while (h.webhook.certificateFingerprint() === previous) {
        if (Date.now() > deadline) throw new Error('the webhook did not pick up the new certificate within 10 s');
        await new Promise((r) => setTimeout(r, 50));
      }
      // Let both loops run on the new one: a count of requests, not a time, so a busy machine
      // cannot make the check vacuous.
      const [api, direct] = [apiCalls, directCalls];
      const settle = Date.now() + 30_000;
      while (apiCalls < api + 8 || directCalls < direct + 8) {
        if (Date.now() > settle) throw new Error(`only ${apiCalls - api} API and ${directCalls - direct} direct requests in 30 s after the rotation`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    await new Promise((r) => setTimeout(r, 300));
    const first = h.webhook.certificateFingerprint();
    await h.writeCertificate('atomic');
    await waitForNewCertificate(first);
    const second = h.webhook.certificateFingerprint();
    await h.writeCertificate('in-place');
    await waitForNewCertificate(second);
    const third = h.webhook.certificateFingerprint();
    await h.writeCertificate('atomic');
    await waitForNewCertificate(third);

    running = false;
    await Promise.all([apiLoop, directLoop]);
    expect(failures).toEqual([]);
    expect(apiCalls).toBeGreaterThan(20);
    expect(directCalls).toBeGreaterThan(20);
    // New connections saw every certificate that was served.
    expect(fingerprints.size).toBeGreaterThanOrEqual(4);
    expect(fingerprints).toContain(h.webhook.certificateFingerprint());
    const metrics = await h.registry.metrics();
    expect(metrics).toMatch(/agent_sandbox_webhook_certificate_reloads_total\{result="success"\} 3/);
  });
});
