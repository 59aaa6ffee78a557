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
  });
});

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
    const res = await rawRequest(rt.url, 'POST', '/upload', body, { 'content-type': contentType });
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
