import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execute, multipart, processesInGroup, processesOf, rawRequest, startRuntime, tree, type RuntimeProcess } from '../support/runtime-process.ts';

const UPLOAD_LIMIT = 1024 * 1024;
const OUTPUT_LIMIT = 1024 * 1024;

let rt: RuntimeProcess;
let outside: string;
beforeAll(async () => {
  rt = await startRuntime({
    maxProcesses: 128,
    args: [`--max-upload-bytes=${UPLOAD_LIMIT}`, `--max-output-bytes=${OUTPUT_LIMIT}`, '--max-request-bytes=65536'],
    // A small heap: output far larger than it must still not bring the server down.
    env: { NODE_OPTIONS: '--max-old-space-size=64' },
  });
  // A secret outside the base, and links inside the base that lead out.
  outside = mkdtempSync(join(tmpdir(), 'sandbox-runtime-outside-'));
  // Readable by the runtime's user: what stops it must be the confinement, not permissions.
  chmodSync(outside, 0o755);
  writeFileSync(join(outside, 'secret.txt'), 'top secret');
  writeFileSync(join(rt.baseDir, 'ok.txt'), 'fine');
  symlinkSync(join(outside, 'secret.txt'), join(rt.baseDir, 'link-out'));
  symlinkSync(outside, join(rt.baseDir, 'dir-out'));
  symlinkSync(join(outside, 'not-yet-there'), join(rt.baseDir, 'dangling-out'));
  symlinkSync('ok.txt', join(rt.baseDir, 'link-in'));
  mkdirSync(join(rt.baseDir, 'sub'));
  chownSync(join(rt.baseDir, 'sub'), rt.uid, rt.uid);
});
afterAll(async () => {
  rmSync(outside, { recursive: true, force: true });
  expect(await rt?.stop()).toBe(0);
});

const DENIED = { message: 'Access denied' };

describe('path traversal is refused with 403', () => {
  const escapes = [
    '../secret.txt',
    '..%2F..%2F..%2Fetc%2Fpasswd',
    '%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
    'sub/../../etc/passwd',
    'sub%2F..%2F..%2Fetc%2Fpasswd',
    '/etc/passwd',
    '%2Fetc%2Fpasswd',
    'link-out',
    'dir-out/secret.txt',
    'dir-out',
    'dangling-out',
    'ok.txt%00.png',
    '%00',
  ];

  it.each(escapes)('download, list and exists of %s', async (path) => {
    for (const verb of ['download', 'list', 'exists']) {
      const res = await rawRequest(rt.url, 'GET', `/${verb}/${path}`);
      expect({ verb, status: res.status, body: res.json() }).toEqual({ verb, status: 403, body: DENIED });
    }
  });

  it('serves what stays inside: a link to a file in the base, and a double-encoded name taken literally', async () => {
    expect((await rawRequest(rt.url, 'GET', '/download/link-in')).body.toString()).toBe('fine');
    // Decoded once, %252e%252e is the literal name "%2e%2e": a missing file, not a way out.
    const literal = await rawRequest(rt.url, 'GET', '/download/%252e%252e%252f%252e%252e%252fetc%252fpasswd');
    expect(literal.status).toBe(404);
    expect(literal.json()).toEqual({ message: 'File not found' });
  });

  it('refuses malformed percent-encoding with 400', async () => {
    const res = await rawRequest(rt.url, 'GET', '/download/%E0%A4%A');
    expect(res.status).toBe(400);
  });

  it.each(['../escape.txt', '/tmp/escape.txt', 'dir-out/escape.txt', 'sub/../../escape.txt', 'link-out', 'dangling-out', 'a\u0000b'])(
    'upload to %j writes nothing anywhere',
    async (filename) => {
      const before = tree(rt.baseDir);
      const { body, contentType } = multipart(filename, Buffer.from('payload'));
      const res = await rawRequest(rt.url, 'POST', '/upload', body, { 'content-type': contentType });
      expect({ status: res.status, body: res.json() }).toEqual({ status: 403, body: DENIED });
      expect(tree(rt.baseDir)).toEqual(before);
      expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('top secret');
      expect(tree(outside)).toEqual(['secret.txt']);
    },
  );

  it('refuses a working directory outside the base', async () => {
    for (const cwd of ['..', '/etc', 'dir-out']) {
      const res = await execute(rt.url, { command: 'pwd', cwd });
      expect({ cwd, status: res.status, body: res.json() }).toEqual({ cwd, status: 403, body: DENIED });
    }
  });
});

// Before the fork bomb below: its processes count against the user's limit for a while after.
describe('a streamed command is bounded the same way', () => {
  const pgidOf = () => Number(readFileSync(join(rt.baseDir, 'pgid'), 'utf8'));
  const othersOfUser = () => processesOf(rt.uid).filter((pid) => pid !== rt.child.pid && !isRuntime(pid));

  async function stream(body: Record<string, unknown>, signal?: AbortSignal): Promise<{ res: Response; events: () => AsyncGenerator<{ event: string; data: Record<string, unknown> }> }> {
    const res = await fetch(`${rt.url}/execute/stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
    async function* events() {
      const decoder = new TextDecoder();
      let pending = '';
      for await (const chunk of res.body!) {
        pending += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = pending.indexOf('\n\n')) !== -1) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          yield { event: /^event: (.*)$/m.exec(block)![1]!, data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as Record<string, unknown> };
        }
      }
    }
    return { res, events };
  }

  it('an endless streamed command is killed at its timeout with its background children, and says so last', async () => {
    const { res, events } = await stream({ command: 'sh -c "echo $$ > pgid; echo started; sleep 1000 & while :; do sleep 1; done"', timeout: 1 });
    expect(res.status).toBe(200);
    const seen: Array<{ event: string; data: Record<string, unknown> }> = [];
    for await (const e of events()) seen.push(e);
    expect(seen.filter((e) => e.event === 'stdout').map((e) => e.data.data).join('')).toBe('started\n');
    expect(seen.at(-1)).toMatchObject({ event: 'exit', data: { timed_out: true } });
    expect(processesInGroup(pgidOf())).toEqual([]);
    expect(othersOfUser()).toEqual([]);
  });

  it('a client that goes away mid-stream takes the command and its group with it', async () => {
    const abort = new AbortController();
    const { events } = await stream({ command: 'sh -c "echo $$ > pgid; sleep 1000 & while :; do echo tick; sleep 0.1; done"', timeout: 300 }, abort.signal);
    // Read up to the first output without leaving the loop (which would close the stream).
    const reader = events();
    for (let e = await reader.next(); !e.done && e.value.event !== 'stdout'; e = await reader.next());
    const pgid = pgidOf();
    expect(processesInGroup(pgid).length).toBeGreaterThan(0);
    abort.abort();
    await eventuallyTrue('the group to be killed after the client left', () => processesInGroup(pgid).length === 0 && othersOfUser().length === 0, 10_000);
  });

  it('streams output far larger than the server heap without keeping it, and stays up', async () => {
    // Twice the server's 64 MiB heap, as text (zeros would travel JSON-escaped, six times larger).
    const total = 128 * 1024 * 1024;
    const { res, events } = await stream({ command: `sh -c "yes 0123456789abcdef | head -c ${total}"`, timeout: 120 });
    expect(res.status).toBe(200);
    let bytes = 0;
    let last: { event: string; data: Record<string, unknown> } | undefined;
    for await (const e of events()) {
      if (e.event === 'stdout') bytes += Buffer.byteLength(String(e.data.data));
      last = e;
    }
    expect(bytes).toBe(total);
    expect(last).toMatchObject({ event: 'exit', data: { exit_code: 0 } });
    expect((await rawRequest(rt.url, 'GET', '/')).status).toBe(200);
  }, 180_000);
});

describe('a command is killed at its timeout with its whole process group', () => {
  /** The group's id: the leader writes its pid ($$) before doing anything else. */
  const pgidOf = () => Number(readFileSync(join(rt.baseDir, 'pgid'), 'utf8'));
  const othersOfUser = () => processesOf(rt.uid).filter((pid) => pid !== rt.child.pid && !isRuntime(pid));

  it('an endless command and the children it left in the background', async () => {
    const res = await execute(rt.url, { command: 'sh -c "echo $$ > pgid; sleep 1000 & sleep 1000 & while :; do sleep 1; done"', timeout: 1 });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ timed_out: true, exit_code: 137 });
    expect(processesInGroup(pgidOf())).toEqual([]);
    expect(othersOfUser()).toEqual([]);
  });

  it('a fork bomb', async () => {
    const res = await execute(rt.url, { command: `bash -c 'echo $$ > pgid; bomb() { bomb | bomb & }; bomb; wait'`, timeout: 2 });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ timed_out: true });
    expect(processesInGroup(pgidOf())).toEqual([]);
    expect(othersOfUser()).toEqual([]);
    // And the server is still there.
    expect((await rawRequest(rt.url, 'GET', '/')).status).toBe(200);
    // The kernel counts the bomb's processes against the user until they are released: once
    // they are, commands start again (later tests need that too).
    const deadline = Date.now() + 30_000;
    let last: unknown;
    for (;;) {
      last = (await execute(rt.url, { command: 'true' })).json();
      if ((last as { exit_code: number }).exit_code === 0) break;
      if (Date.now() > deadline) throw new Error(`commands do not start again after the fork bomb: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});

/** Waits until `check` holds (something that must happen), failing with `what` after `timeoutMs`. */
async function eventuallyTrue(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The runtime itself: prlimit execs node in place, so the child's pid is the server's. */
function isRuntime(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('sandbox-runtime');
  } catch {
    return false;
  }
}

describe('bounded sizes', () => {
  it('refuses an upload declared larger than the limit with 413 and leaves nothing', async () => {
    const before = tree(rt.baseDir);
    const { body, contentType } = multipart('big/nested/huge.bin', randomBytes(3 * UPLOAD_LIMIT));
    const res = await rawRequest(rt.url, 'POST', '/upload', body, { 'content-type': contentType, expect: '100-continue' });
    expect(res.status).toBe(413);
    expect(tree(rt.baseDir)).toEqual(before);
  });

  it('refuses a streamed upload (no length given) once it passes the limit, and leaves nothing partial', async () => {
    const before = tree(rt.baseDir);
    const { body, contentType } = multipart('big/nested/huge.bin', randomBytes(3 * UPLOAD_LIMIT));
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(rt.url);
      const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/upload', headers: { 'content-type': contentType, 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      // Sent in pieces, as a client streaming from disk would.
      let offset = 0;
      const pump = () => {
        while (offset < body.length) {
          const piece = body.subarray(offset, offset + 64 * 1024);
          offset += piece.length;
          if (!req.write(piece)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(status).toBe(413);
    expect(tree(rt.baseDir)).toEqual(before);
  });

  it('takes an upload exactly at the limit', async () => {
    const content = randomBytes(UPLOAD_LIMIT);
    const { body, contentType } = multipart('at-limit.bin', content);
    expect((await rawRequest(rt.url, 'POST', '/upload', body, { 'content-type': contentType })).status).toBe(200);
    expect(readFileSync(join(rt.baseDir, 'at-limit.bin')).equals(content)).toBe(true);
  });

  it('refuses a JSON request body past its limit with 413', async () => {
    const res = await execute(rt.url, { command: 'cat', stdin: 'x'.repeat(100_000) });
    expect(res.status).toBe(413);
  });

  it('keeps output far larger than the server heap bounded, marked as cut, and stays up', async () => {
    const total = 2 * 1024 * 1024 * 1024; // 2 GiB through a server with a 64 MiB heap
    const res = await execute(rt.url, { command: `head -c ${total} /dev/zero`, timeout: 120 });
    expect(res.status).toBe(200);
    const body = res.json<{ stdout: string; stdout_truncated: boolean; exit_code: number }>();
    expect(body.exit_code).toBe(0);
    expect(body.stdout_truncated).toBe(true);
    expect(body.stdout.length).toBeLessThan(OUTPUT_LIMIT + 200);
    expect(body.stdout.endsWith(`\n[output truncated: ${total - OUTPUT_LIMIT} more bytes not kept]\n`)).toBe(true);
    // The server's peak memory stayed a small fraction of what went through it.
    const peakKiB = Number(/^VmHWM:\s+(\d+)/m.exec(readFileSync(`/proc/${rt.child.pid}/status`, 'utf8'))![1]);
    expect(peakKiB * 1024).toBeLessThan(total / 8);
    expect((await rawRequest(rt.url, 'GET', '/')).status).toBe(200);
  });
});
