/**
 * Stopping the webhook: a review in flight is still answered, connections the client holds
 * without using them (the API server keeps spares in its pool) do not hold the stop, and with
 * a shutdown delay (a Pod behind a Service) it goes on answering, on pooled and new
 * connections alike, each answer closing its connection, before it refuses new ones.
 */
import { Agent, request } from 'node:https';
import { connect } from 'node:tls';
import { createLogger } from '@agent-sandbox/telemetry';
import { afterEach, describe, expect, it } from 'vitest';
import { admissionReview, sandbox, testPolicy } from '../testing/fixtures.ts';
import { startWebhook, type RunningWebhook } from '../webhook.ts';

let webhook: RunningWebhook | undefined;
afterEach(async () => webhook?.stop());

async function start(shutdownDelayMs?: number): Promise<RunningWebhook> {
  webhook = await startWebhook({
    bind: { host: '127.0.0.1', port: 0 },
    log: createLogger({ program: 'shutdown-test', level: 'silent' }),
    policy: testPolicy(),
    dnsNames: ['127.0.0.1'],
    ...(shutdownDelayMs !== undefined ? { shutdownDelayMs } : {}),
  });
  return webhook;
}

const REVIEW = JSON.stringify(admissionReview({ resource: 'sandboxes', operation: 'CREATE', object: sandbox('s') }));

/** One review over `agent` (keep-alive or not): its status, its Connection header, and whether the socket was a reused one. */
function review(port: number, caPem: string, agent: Agent | false): Promise<{ status: number; connection: string | undefined; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/validate', method: 'POST', ca: caPem, agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(REVIEW) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, reused: req.reusedSocket }));
      },
    );
    req.on('error', reject);
    req.end(REVIEW);
  });
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

  it('with a shutdown delay, answers on pooled and new connections, closing each, then refuses new ones', async () => {
    const { address, caPem } = await start(1_500);
    const pool = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const before = await review(address.port, caPem!, pool);
      expect(before).toMatchObject({ status: 200, reused: false });
      expect(before.connection).not.toBe('close');

      const began = Date.now();
      // stop() marks the server draining before it first waits: the reviews below come after the stop began.
      const stopping = webhook!.stop();
      // The pool's connection is still served, and let go with the answer.
      expect(await review(address.port, caPem!, pool)).toEqual({ status: 200, connection: 'close', reused: true });
      // A connection opened after the stop began (the Service still routing here) is served too.
      expect(await review(address.port, caPem!, false)).toMatchObject({ status: 200, connection: 'close' });
      expect(await within(stopping, 500)).toBe('still running');

      expect(await within(stopping, 3_000)).toBe('stopped');
      expect(Date.now() - began).toBeGreaterThanOrEqual(1_500);
      await expect(review(address.port, caPem!, false)).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      pool.destroy();
    }
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
