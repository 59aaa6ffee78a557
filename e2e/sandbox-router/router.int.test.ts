import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX, SANDBOX_CLAIM } from '@agent-sandbox/api';
import { consistently } from '@agent-sandbox/controlplane/testing';
import type { KubeObject } from '@agent-sandbox/runtime';
import { callerToken, fakeSandbox, forbiddenLines, routerUrl } from '../support/data-plane.ts';
import { eventually, programSuite, waitUntil, type ProgramProcess, type ProgramSuite } from '../support/programs.ts';
import { hostAddress, multipart, startRuntime, type RuntimeProcess } from '../support/runtime-process.ts';
import { openTunnel, roundTrip, startEchoUpstream, type EchoUpstream } from './upstream.ts';

/*
 * The router as it runs in a cluster (a process, as its ServiceAccount bound to exactly its
 * rbac.yaml, authorization on), against the real API server. Sandboxes and Pods are written by
 * the test; the Pods' address is this machine's own non-loopback address, where a real
 * sandbox-runtime and an echo server listen, so requests take the production path end to end.
 */

let suite: ProgramSuite;
let ns: string;
let router: ProgramProcess;
let open: ProgramProcess;
let url: string;
let openUrl: string;
let runtime: RuntimeProcess;
let echo: EchoUpstream;
const host = hostAddress();
const tokens: Record<'alice' | 'bob' | 'carol' | 'dave' | 'eve', string> = { alice: '', bob: '', carol: '', dave: '', eve: '' };

beforeAll(async () => {
  suite = await programSuite('router');
  ns = suite.ns.name;
  runtime = await startRuntime({ host });
  echo = await startEchoUpstream(host);
  await fakeSandbox(suite.admin, ns, 'held', { address: host, claim: 'claim-a' });
  await fakeSandbox(suite.admin, ns, 'plain', { address: host });
  await fakeSandbox(suite.admin, ns, 'starting', { address: host, ready: false });
  await fakeSandbox(suite.admin, ns, 'loopback', { address: '127.0.0.1' });
  const get = (resource: string, group: string, names?: string[]) => ({ apiGroups: [group], resources: [resource], verbs: ['get'], ...(names ? { resourceNames: names } : {}) });
  // alice may get the claim holding "held"; bob the Sandbox "plain" by name; carol every Sandbox;
  // dave the claim "claim-d" (which adopts a Sandbox in a test); eve nothing.
  tokens.alice = await callerToken(suite.admin, ns, 'alice', [get('sandboxclaims', 'extensions.agents.x-k8s.io', ['claim-a'])]);
  tokens.bob = await callerToken(suite.admin, ns, 'bob', [get('sandboxes', 'agents.x-k8s.io', ['plain'])]);
  tokens.carol = await callerToken(suite.admin, ns, 'carol', [get('sandboxes', 'agents.x-k8s.io')]);
  tokens.dave = await callerToken(suite.admin, ns, 'dave', [get('sandboxclaims', 'extensions.agents.x-k8s.io', ['claim-d'])]);
  tokens.eve = await callerToken(suite.admin, ns, 'eve', []);
  [router, open] = await Promise.all([
    suite.start('sandbox-router', ['--bind-address=127.0.0.1:0', '--max-websockets-per-client=2', '--authorization-cache-ttl=30s']),
    suite.start('sandbox-router', ['--bind-address=127.0.0.1:0', '--no-authorization', '--websocket-idle-timeout=1s', '--websocket-max-lifetime=3s', '--resolve-wait=20s']),
  ]);
  url = routerUrl(router);
  openUrl = routerUrl(open);
});

afterAll(async () => {
  await echo?.close();
  await runtime?.stop();
  await suite?.teardown();
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(base: string, path: string, headers: Record<string, string>, init: { method?: string; body?: string | Buffer } = {}): Promise<Reply> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: init.method ?? 'GET', headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A request of `who` for `sandbox`, to the runtime's port unless `extra` names another. */
const as = (who: keyof typeof tokens, sandbox: string, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${tokens[who]}`,
  'x-sandbox-id': sandbox,
  'x-sandbox-namespace': ns,
  'x-sandbox-port': String(runtime.port),
  ...extra,
});

const execute = (headers: Record<string, string>, command: Record<string, unknown>) =>
  call(url, '/execute', { ...headers, 'content-type': 'application/json' }, { method: 'POST', body: JSON.stringify(command) });

describe('request headers', () => {
  it.each<[string, Record<string, string>, string]>([
    ['no X-Sandbox-ID', {}, 'X-Sandbox-ID: required: the name of the Sandbox'],
    ['a name that is not a DNS name', { 'x-sandbox-id': 'Not_A_Name' }, 'X-Sandbox-ID: "Not_A_Name" is not a valid Sandbox name (lower-case DNS name)'],
    ['a bad namespace', { 'x-sandbox-id': 'plain', 'x-sandbox-namespace': 'a.b' }, 'X-Sandbox-Namespace: "a.b" is not a valid namespace (a DNS label)'],
    ['port 0', { 'x-sandbox-id': 'plain', 'x-sandbox-port': '0' }, 'X-Sandbox-Port: "0" is not a port (1-65535)'],
    ['port 65536', { 'x-sandbox-id': 'plain', 'x-sandbox-port': '65536' }, 'X-Sandbox-Port: "65536" is not a port (1-65535)'],
    ['a negative timeout', { 'x-sandbox-id': 'plain', 'x-sandbox-timeout': '-1' }, 'X-Sandbox-Timeout: "-1" is not a number of seconds (0 or more)'],
    ['a loopback Pod IP', { 'x-sandbox-id': 'plain', 'x-sandbox-pod-ip': '127.0.0.1' }, "X-Sandbox-Pod-IP: 127.0.0.1 is a loopback address: never a Pod's address"],
    ['an IPv6 loopback Pod IP', { 'x-sandbox-id': 'plain', 'x-sandbox-pod-ip': '::1' }, "X-Sandbox-Pod-IP: ::1 is a loopback address: never a Pod's address"],
    ['a link-local Pod IP', { 'x-sandbox-id': 'plain', 'x-sandbox-pod-ip': '169.254.169.254' }, "X-Sandbox-Pod-IP: 169.254.169.254 is a link-local address: never a Pod's address"],
    ['a multicast Pod IP', { 'x-sandbox-id': 'plain', 'x-sandbox-pod-ip': '224.0.0.1' }, "X-Sandbox-Pod-IP: 224.0.0.1 is a multicast address: never a Pod's address"],
    ['an unspecified Pod IP', { 'x-sandbox-id': 'plain', 'x-sandbox-pod-ip': '0.0.0.0' }, "X-Sandbox-Pod-IP: 0.0.0.0 is an unspecified address: never a Pod's address"],
    ['a mapped loopback Pod IP', { 'x-sandbox-id': 'plain', 'x-sandbox-pod-ip': '::ffff:127.0.0.1' }, "X-Sandbox-Pod-IP: ::ffff:127.0.0.1 is a loopback address: never a Pod's address"],
  ])('%s → 400 naming the header', async (_what, headers, detail) => {
    const res = await call(url, '/', { authorization: `Bearer ${tokens.carol}`, ...headers });
    expect({ status: res.status, body: JSON.parse(res.body) }).toEqual({ status: 400, body: { detail } });
  });
});

describe('[ext] authorization', () => {
  it('refuses a caller without a token or with a bad one (401)', async () => {
    const none = await call(url, '/', { 'x-sandbox-id': 'plain', 'x-sandbox-namespace': ns });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(JSON.parse(none.body)).toEqual({ detail: 'a bearer token is required (Authorization: Bearer <token>)' });
    const bad = await call(url, '/', { authorization: 'Bearer not-a-token', 'x-sandbox-id': 'plain', 'x-sandbox-namespace': ns });
    expect(bad.status).toBe(401);
  });

  it('refuses a caller without rights (403), and tells it nothing about what exists', async () => {
    for (const sandbox of ['plain', 'held', 'no-such-sandbox']) {
      const res = await call(url, '/', as('eve', sandbox));
      expect({ sandbox, status: res.status }).toEqual({ sandbox, status: 403 });
      expect(JSON.parse(res.body).detail).toMatch(new RegExp(`^user "system:serviceaccount:${ns}:eve" may not get`));
    }
    // bob may get "plain" only.
    expect((await call(url, '/', as('bob', 'held'))).status).toBe(403);
  });

  it('lets in a caller who may get the claim holding the Sandbox, or the Sandbox itself', async () => {
    const viaClaim = await call(url, '/', as('alice', 'held'));
    expect({ status: viaClaim.status, body: JSON.parse(viaClaim.body) }).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect((await call(url, '/', as('bob', 'plain'))).status).toBe(200);
    expect((await call(url, '/', as('carol', 'held'))).status).toBe(200);
  });

  it('lets in the holder of a claim that adopted the Sandbox after the request came (a warm pool member just claimed)', async () => {
    const claim = await suite.admin.create<KubeObject>(SANDBOX_CLAIM, {
      apiVersion: SANDBOX_CLAIM.apiVersion,
      kind: SANDBOX_CLAIM.kind,
      metadata: { name: 'claim-d', namespace: ns },
      spec: { warmPoolRef: { name: 'no-pool' } },
    });
    await fakeSandbox(suite.admin, ns, 'adopted', { address: host });
    // The router knows "adopted", held by no claim: dave may not get it, yet. His request waits
    // for the router's watch to show a claim holding it (as when his SDK saw the claim Ready first)…
    const pending = call(url, '/', as('dave', 'adopted'));
    let settled = false;
    void pending.finally(() => (settled = true));
    await consistently('the request to wait while no claim holds the Sandbox', () => !settled, 500);
    // …and is let in once the claim he may get adopts it, within --resolve-wait (3 s).
    const owner = { apiVersion: SANDBOX_CLAIM.apiVersion, kind: SANDBOX_CLAIM.kind, name: 'claim-d', uid: claim.metadata.uid!, controller: true };
    await suite.admin.patch(SANDBOX, { namespace: ns, name: 'adopted' }, { metadata: { ownerReferences: [owner] } }, { type: 'merge' });
    const res = await pending;
    expect({ status: res.status, body: JSON.parse(res.body) }).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('answers repeated requests from its cache', async () => {
    for (let i = 0; i < 3; i++) expect((await call(url, '/', as('bob', 'plain'))).status).toBe(200);
    expect(await router.metrics()).toMatch(/sandbox_router_authorization_total\{result="allowed",cached="true"\} [1-9]/);
  });

  it('lets anyone in when started with --no-authorization', async () => {
    expect((await call(openUrl, '/', { 'x-sandbox-id': 'plain', 'x-sandbox-namespace': ns, 'x-sandbox-port': String(runtime.port) })).status).toBe(200);
  });
});

describe('resolution from its own watch', () => {
  it('answers 404 for an unknown Sandbox (to a caller who may get it)', async () => {
    const res = await call(url, '/', as('carol', 'no-such-sandbox'));
    expect({ status: res.status, body: JSON.parse(res.body) }).toEqual({ status: 404, body: { detail: `Sandbox ${ns}/no-such-sandbox not found` } });
  });

  it('answers 503 with Retry-After for a Sandbox that is not Ready', async () => {
    const res = await call(url, '/', as('carol', 'starting'));
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(JSON.parse(res.body)).toEqual({ detail: `Sandbox ${ns}/starting is not ready (DependenciesNotReady: Pod is Running but not Ready)` });
  });

  it('refuses to proxy to a Pod whose address is loopback (502)', async () => {
    const res = await call(url, '/', as('carol', 'loopback'));
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body).detail).toContain("its Pod's address 127.0.0.1 is a loopback address; refusing to proxy there");
  });

  it('routes by the Pod the watch saw, whatever address the hint names', async () => {
    const res = await call(url, '/', as('carol', 'plain', { 'x-sandbox-pod-ip': '10.1.2.3' }));
    expect(res.status).toBe(200);
  });

  it('follows Sandboxes that come, become Ready and go, without a restart', async () => {
    const late = await call(url, '/', as('carol', 'late'));
    expect(late.status).toBe(404);
    await fakeSandbox(suite.admin, ns, 'late', { address: host });
    await eventually('the router to route to "late"', () => call(url, '/', as('carol', 'late')), (r) => r.status === 200, 10_000);
    await suite.admin.delete(SANDBOX, { namespace: ns, name: 'late' });
    await eventually('the router to forget "late"', () => call(url, '/', as('carol', 'late')), (r) => r.status === 404, 10_000);
  });

  it('holds a request for a Sandbox its watch has not seen yet until the watch catches up (--resolve-wait)', async () => {
    // A client that saw its claim Ready through its own watch may ask before the router's watch
    // delivered the same events: the request waits for the watch instead of being told 404.
    const headers = { 'x-sandbox-id': 'just-made', 'x-sandbox-namespace': ns, 'x-sandbox-port': String(runtime.port) };
    const pending = call(openUrl, '/', headers);
    let settled = false;
    void pending.finally(() => (settled = true));
    await consistently('the request to stay pending while the Sandbox does not exist', () => !settled, 1_000);
    await fakeSandbox(suite.admin, ns, 'just-made', { address: host });
    expect((await pending).status).toBe(200);
  });
});

describe('proxying', () => {
  it('runs a command in the sandbox-runtime behind it', async () => {
    const res = await execute(as('alice', 'held'), { command: 'echo hello from the sandbox' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ stdout: 'hello from the sandbox\n', exit_code: 0 });
  });

  it('forwards neither X-Sandbox-* headers, nor hop-by-hop ones, nor the caller\'s token; passes trace context', async () => {
    const res = await call(url, '/echo?q=1', {
      ...as('carol', 'plain', { 'x-sandbox-port': String(echo.port), 'x-sandbox-timeout': '30' }),
      'x-custom': 'kept',
      connection: 'keep-alive, x-drop-me',
      'x-drop-me': 'named by Connection',
      'keep-alive': 'timeout=5',
      te: 'trailers',
      'proxy-authorization': 'Basic eA==',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(res.status).toBe(200);
    const seen = JSON.parse(res.body) as { method: string; url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/echo?q=1');
    expect(seen.headers['x-custom']).toBe('kept');
    for (const name of Object.keys(seen.headers)) expect(name).not.toMatch(/^x-sandbox-/);
    for (const name of ['authorization', 'x-drop-me', 'keep-alive', 'te', 'proxy-authorization']) expect(seen.headers).not.toHaveProperty(name);
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    // The router's span continues the caller's trace.
    expect(seen.headers.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-/);
    // Nor hop-by-hop headers of the answer.
    expect(res.headers['x-upstream']).toBe('echo');
    expect(res.headers['keep-alive']).not.toBe('timeout=5');
  });

  it('streams a request body on before it has all arrived', async () => {
    const u = new URL(url);
    const firstLine = await new Promise<string>((resolve, reject) => {
      const req = request({
        host: u.hostname,
        port: u.port,
        method: 'POST',
        path: '/first-byte',
        headers: { ...as('carol', 'plain', { 'x-sandbox-port': String(echo.port) }), 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        res.once('data', (c: Buffer) => {
          resolve(c.toString());
          req.end(); // only now does the request end
        });
      });
      req.on('error', reject);
      req.write('first piece');
    });
    expect(firstLine).toBe('got the first chunk\n');
  });

  it('streams an answer as it comes (Server-Sent Events from the runtime)', async () => {
    const res = await fetch(`${url}/execute/stream`, {
      method: 'POST',
      headers: { ...as('alice', 'held'), 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'sh -c "echo first; sleep 1; echo second"' }),
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    const firstAt = Date.now();
    expect(new TextDecoder().decode(first.value)).toContain('first');
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toContain('second');
    expect(rest).toContain('event: exit');
    expect(Date.now() - firstAt).toBeGreaterThanOrEqual(700);
  });

  it('moves 8 MiB up and down byte for byte', async () => {
    const content = randomBytes(8 * 1024 * 1024);
    const { body, contentType } = multipart('through/router.bin', content);
    const up = await call(url, '/upload', { ...as('alice', 'held'), 'content-type': contentType }, { method: 'POST', body });
    expect(up.status).toBe(200);
    const down = await fetch(`${url}/download/through%2Frouter.bin`, { headers: as('alice', 'held') });
    expect(Buffer.from(await down.arrayBuffer()).equals(content)).toBe(true);
  });

  it('answers 504 when the sandbox takes longer than X-Sandbox-Timeout', async () => {
    const started = Date.now();
    const res = await execute(as('alice', 'held', { 'x-sandbox-timeout': '1' }), { command: 'sleep 10', timeout: 20 });
    expect(res.status).toBe(504);
    expect(JSON.parse(res.body)).toEqual({ detail: `Sandbox ${ns}/held did not answer within 1 s` });
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it('answers 502 when nothing listens on the port', async () => {
    const res = await call(url, '/', as('carol', 'plain', { 'x-sandbox-port': '1' }));
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body).detail).toBe(`cannot reach Sandbox ${ns}/plain: ECONNREFUSED`);
  });
});

describe('WebSockets', () => {
  it('tunnels an upgrade both ways, authorized like any request, without the router headers', async () => {
    const refused = await openTunnel(url, as('eve', 'plain', { 'x-sandbox-port': String(echo.port) }));
    expect(refused).toMatchObject({ kind: 'refused', status: 403 });
    const tunnel = await openTunnel(url, as('carol', 'plain', { 'x-sandbox-port': String(echo.port) }));
    if (tunnel.kind !== 'open') throw new Error(`not upgraded: ${JSON.stringify(tunnel)}`);
    expect(await roundTrip(tunnel.socket, 'ping through the router')).toBe('ping through the router');
    const headers = echo.upgrades.at(-1)!;
    expect(headers.upgrade).toBe('websocket');
    expect(headers).not.toHaveProperty('authorization');
    expect(Object.keys(headers).filter((h) => h.startsWith('x-sandbox-'))).toEqual([]);
    tunnel.socket.destroy();
  });

  it('caps the connections of one caller (429)', async () => {
    const headers = as('bob', 'plain', { 'x-sandbox-port': String(echo.port) });
    const first = await openTunnel(url, headers);
    const second = await openTunnel(url, headers);
    const third = await openTunnel(url, headers);
    expect([first.kind, second.kind]).toEqual(['open', 'open']);
    expect(third).toMatchObject({ kind: 'refused', status: 429 });
    // Another caller is not affected.
    const other = await openTunnel(url, as('carol', 'plain', { 'x-sandbox-port': String(echo.port) }));
    expect(other.kind).toBe('open');
    for (const t of [first, second, other]) if (t.kind === 'open') t.socket.destroy();
    // Closing frees the slots.
    await eventually('a slot to free up', () => openTunnel(url, headers), (t) => {
      if (t.kind === 'open') t.socket.destroy();
      return t.kind === 'open';
    }, 10_000);
  });

  it('closes a tunnel idle for longer than the idle limit', async () => {
    const tunnel = await openTunnel(openUrl, { 'x-sandbox-id': 'plain', 'x-sandbox-namespace': ns, 'x-sandbox-port': String(echo.port) });
    if (tunnel.kind !== 'open') throw new Error('not upgraded');
    const openedAt = Date.now();
    await new Promise<void>((resolve) => tunnel.socket.once('close', () => resolve()));
    expect(Date.now() - openedAt).toBeGreaterThanOrEqual(900);
  });

  it('closes a busy tunnel at the end of its lifetime', async () => {
    const tunnel = await openTunnel(openUrl, { 'x-sandbox-id': 'plain', 'x-sandbox-namespace': ns, 'x-sandbox-port': String(echo.port) });
    if (tunnel.kind !== 'open') throw new Error('not upgraded');
    const openedAt = Date.now();
    // Traffic every 200 ms keeps it from ever being idle.
    const beat = setInterval(() => tunnel.socket.write('x'), 200);
    await new Promise<void>((resolve) => tunnel.socket.once('close', () => resolve()));
    clearInterval(beat);
    expect(Date.now() - openedAt).toBeGreaterThanOrEqual(2_800);
  });
});

describe('as a program', () => {
  it('counts requests in its metrics and needs no right beyond its rbac.yaml', async () => {
    const metrics = await router.metrics();
    expect(metrics).toMatch(/sandbox_router_requests_total\{kind="http",code="200"\} [1-9]/);
    expect(metrics).toMatch(/sandbox_router_requests_total\{kind="http",code="403"\} [1-9]/);
    expect(metrics).toMatch(/sandbox_router_request_duration_seconds_bucket/);
    expect(forbiddenLines(router)).toEqual([]);
    expect(forbiddenLines(open)).toEqual([]);
  });

  it('is ready only once its caches are synced, and drains on SIGTERM (exit 0)', async () => {
    const ready = await fetch(`http://127.0.0.1:${open.healthPort}/readyz`);
    expect(ready.status).toBe(200);
    expect(await open.stop()).toBe(0);
    await waitUntil('the proxy to stop listening', async () => (await call(openUrl, '/', {}).then(() => false, () => true)), 5_000);
  });
});
