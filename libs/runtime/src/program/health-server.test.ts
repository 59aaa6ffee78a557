import { afterEach, describe, expect, it } from 'vitest';
import { HealthServer } from './health-server.ts';

describe('HealthServer', () => {
  let server: HealthServer | undefined;
  afterEach(async () => server?.close());

  async function start(): Promise<string> {
    server = new HealthServer();
    const address = await server.listen({ host: '127.0.0.1', port: 0 });
    return `http://127.0.0.1:${address.port}`;
  }

  it('answers /healthz while serving, and /readyz only when every check passes', async () => {
    const base = await start();
    let synced = false;
    server!.addReadinessCheck('informers-synced', () => synced);
    server!.addReadinessCheck('broken', () => {
      if (!synced) throw new Error('boom');
      return true;
    });

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${base}/readyz?verbose`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toBe('[-]informers-synced failed\n[-]broken failed\n');

    synced = true;
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('ok\n');
  });

  it('serves mounted routes and 404 for the rest', async () => {
    const base = await start();
    server!.route('/metrics', (_req, res) => void res.end('metric 1\n'));
    expect(await (await fetch(`${base}/metrics`)).text()).toBe('metric 1\n');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
