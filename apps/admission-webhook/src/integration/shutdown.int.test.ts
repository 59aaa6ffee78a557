/**
 * Stopping the webhook: a review in flight is still answered, and connections the client
 * holds without using them (the API server keeps spares in its pool) do not hold the stop.
 */
import { request } from 'node:https';
import { connect } from 'node:tls';
import { createLogger } from '@agent-sandbox/telemetry';
import { afterEach, describe, expect, it } from 'vitest';
import { admissionReview, sandbox, testPolicy } from '../testing/fixtures.ts';
import { startWebhook, type RunningWebhook } from '../webhook.ts';

let webhook: RunningWebhook | undefined;
afterEach(async () => webhook?.stop());

async function start(): Promise<RunningWebhook> {
  webhook = await startWebhook({
    bind: { host: '127.0.0.1', port: 0 },
    log: createLogger({ program: 'shutdown-test', level: 'silent' }),
    policy: testPolicy(),
    dnsNames: ['127.0.0.1'],
  });
  return webhook;
}

/** Resolves 'stopped' when `stopping` settles within `ms`, else 'still running'. */
function within(stopping: Promise<void>, ms: number): Promise<'stopped' | 'still running'> {
  return Promise.race([stopping.then(() => 'stopped' as const), new Promise<'still running'>((r) => setTimeout(() => r('still running'), ms))]);
}

describe('stopping the webhook', () => {
  it('does not wait for a connection on which no request was sent', async () => {
    const { address, caPem } = await start();
    const spare = connect({ host: '127.0.0.1', port: address.port, ca: caPem!, servername: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => spare.once('secureConnect', resolve).once('error', reject));
    const ended = new Promise<void>((resolve) => spare.once('close', () => resolve()));

    expect(await within(webhook!.stop(), 2_000)).toBe('stopped');
    await ended; // the server closed it
  });

  it('answers a review still arriving when the stop begins', async () => {
    const { address, caPem } = await start();
    const body = JSON.stringify(admissionReview({ resource: 'sandboxes', operation: 'CREATE', object: sandbox('s') }));
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: address.port, path: '/validate', method: 'POST', ca: caPem!, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      // The rest after the stop has begun.
      setTimeout(() => req.end(body.slice(10)), 300);
    });
    await new Promise((r) => setTimeout(r, 100));
    const stopping = webhook!.stop();

    const { status, body: text } = await answer;
    expect(status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ kind: 'AdmissionReview', response: { uid: '00000000-0000-0000-0000-000000000001' } });
    expect(await within(stopping, 2_000)).toBe('stopped');
  });
});
