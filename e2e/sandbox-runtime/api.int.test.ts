import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execute, multipart, rawRequest, startRuntime, type RuntimeProcess } from '../support/runtime-process.ts';

let rt: RuntimeProcess;
beforeAll(async () => {
  rt = await startRuntime({ args: ['--max-concurrent-commands=3'] });
});
afterAll(async () => {
  expect(await rt?.stop()).toBe(0);
});

interface ExecResult {
  stdout: string;
  stderr: string;
  exit_code: number;
  timed_out: boolean;
}

async function run(body: Record<string, unknown>): Promise<ExecResult> {
  const res = await execute(rt.url, body);
  expect(res.status, res.body.toString()).toBe(200);
  return res.json<ExecResult>();
}

describe('the standard API', () => {
  it('GET / answers health', async () => {
    const res = await rawRequest(rt.url, 'GET', '/');
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', message: expect.any(String) });
  });

  it('runs a command split shell-style, without a shell, from the base directory', async () => {
    const r = await run({ command: `printf '%s|' "two words" 'single $HOME' three\\ four $HOME` });
    expect(r).toMatchObject({ stdout: `two words|single $HOME|three four|$HOME|`, stderr: '', exit_code: 0, timed_out: false });
    expect((await run({ command: 'pwd' })).stdout.trim()).toBe(rt.baseDir);
  });

  it('returns the exit code and stderr, and runs as the non-root user it was started as', async () => {
    expect(await run({ command: 'sh -c "echo oops >&2; exit 3"' })).toMatchObject({ stdout: '', stderr: 'oops\n', exit_code: 3 });
    expect((await run({ command: 'id -u' })).stdout.trim()).toBe(String(rt.uid));
  });

  it('answers 200 with exit code 1 and the reason when a command cannot start', async () => {
    expect(await run({ command: 'no-such-command-xyz --flag' })).toMatchObject({ exit_code: 1, stderr: expect.stringContaining('command not found: no-such-command-xyz') });
    expect(await run({ command: 'echo "unclosed' })).toMatchObject({ exit_code: 1, stderr: expect.stringContaining('no closing quotation') });
    expect(await run({ command: '   ' })).toMatchObject({ exit_code: 1, stderr: 'empty command' });
  });

  it('refuses a request without a command with 400 naming the field', async () => {
    const res = await execute(rt.url, { cmd: 'ls' });
    expect(res.status).toBe(400);
    expect(res.json()).toEqual({ message: 'command: required, a string' });
    const bad = await rawRequest(rt.url, 'POST', '/execute', '{not json', { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
  });

  it('uploads into subfolders, downloads byte for byte, lists and tells existence', async () => {
    const content = randomBytes(1024 * 1024);
    const { body, contentType } = multipart('data/sub/blob.bin', content);
    const up = await rawRequest(rt.url, 'POST', '/upload', body, { 'content-type': contentType });
    expect(up.status, up.body.toString()).toBe(200);
    expect(up.json()).toEqual({ message: "File 'data/sub/blob.bin' uploaded successfully." });
    expect(readFileSync(join(rt.baseDir, 'data/sub/blob.bin')).equals(content)).toBe(true);

    const down = await rawRequest(rt.url, 'GET', '/download/data%2Fsub%2Fblob.bin');
    expect(down.status).toBe(200);
    expect(down.headers['content-type']).toBe('application/octet-stream');
    expect(down.body.equals(content)).toBe(true);

    const list = await rawRequest(rt.url, 'GET', '/list/data/sub');
    expect(list.status).toBe(200);
    const [entry, ...others] = list.json<Array<Record<string, unknown>>>();
    expect(others).toEqual([]);
    expect(entry).toMatchObject({ name: 'blob.bin', size: content.length, type: 'file' });
    expect(Math.abs((entry!.mod_time as number) - Date.now() / 1000)).toBeLessThan(120);
    expect((await rawRequest(rt.url, 'GET', '/list/data')).json()).toEqual([expect.objectContaining({ name: 'sub', type: 'directory' })]);

    expect((await rawRequest(rt.url, 'GET', '/exists/data%2Fsub%2Fblob.bin')).json()).toEqual({ path: 'data/sub/blob.bin', exists: true });
    expect((await rawRequest(rt.url, 'GET', '/exists/data/nothing')).json()).toEqual({ path: 'data/nothing', exists: false });
  });

  it('replaces an existing file on upload and keeps file names with spaces and non-ASCII characters', async () => {
    for (const text of ['first', 'second']) {
      const { body, contentType } = multipart('naïve name.txt', Buffer.from(text));
      expect((await rawRequest(rt.url, 'POST', '/upload', body, { 'content-type': contentType })).status).toBe(200);
    }
    const down = await rawRequest(rt.url, 'GET', `/download/${encodeURIComponent('naïve name.txt')}`);
    expect(down.body.toString()).toBe('second');
  });

  it('answers 404 for a missing file or a path that is not a directory', async () => {
    writeFileSync(join(rt.baseDir, 'plain.txt'), 'x');
    expect(await rawRequest(rt.url, 'GET', '/download/missing.txt')).toMatchObject({ status: 404 });
    expect((await rawRequest(rt.url, 'GET', '/download/missing.txt')).json()).toEqual({ message: 'File not found' });
    expect((await rawRequest(rt.url, 'GET', '/list/plain.txt')).json()).toEqual({ message: 'Path is not a directory' });
    expect((await rawRequest(rt.url, 'GET', '/list/missing')).status).toBe(404);
  });
});

describe('[ext] per-command stdin, env, cwd and timeout', () => {
  it('feeds stdin, adds env, starts in cwd', async () => {
    mkdirSync(join(rt.baseDir, 'work'), { recursive: true });
    expect((await run({ command: 'cat', stdin: 'from stdin\n' })).stdout).toBe('from stdin\n');
    expect((await run({ command: 'sh -c "echo $GREETING"', env: { GREETING: 'hello' } })).stdout).toBe('hello\n');
    expect((await run({ command: 'pwd', cwd: 'work' })).stdout.trim()).toBe(join(rt.baseDir, 'work'));
  });

  it('gives a command reading stdin an end of file when none is sent', async () => {
    expect(await run({ command: 'cat', timeout: 5 })).toMatchObject({ stdout: '', exit_code: 0, timed_out: false });
  });

  it('refuses bad fields with 400 naming them', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ command: 'true', timeout: -1 }, 'timeout: must be a number of seconds greater than 0'],
      [{ command: 'true', timeout: 301 }, "timeout: must be at most 300 seconds (the runtime's limit)"],
      [{ command: 'true', env: { '1X': 'a' } }, 'env: "1X" is not a valid variable name (letters, digits, _; not starting with a digit)'],
      [{ command: 'true', env: { X: 1 } }, 'env.X: must be a string'],
      [{ command: 'true', stdin: 5 }, 'stdin: must be a string'],
      [{ command: 'true', cwd: 'missing-dir' }, 'cwd: "missing-dir" is not a directory'],
    ];
    for (const [body, message] of cases) {
      const res = await execute(rt.url, body);
      expect({ status: res.status, body: res.json() }).toEqual({ status: 400, body: { message } });
    }
  });

  it('kills a command at its own timeout', async () => {
    const started = Date.now();
    const r = await run({ command: 'sleep 30', timeout: 1 });
    expect(r).toMatchObject({ timed_out: true, exit_code: 137 });
    expect(r.stderr).toContain('[command timed out after 1 s: its process group was killed]');
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('[ext] concurrency', () => {
  it('runs commands at the same time: one waits for a file the other creates', async () => {
    const waiter = run({ command: 'sh -c "while [ ! -f flag ]; do sleep 0.05; done; echo saw it"', timeout: 20 });
    const maker = run({ command: 'touch flag' });
    expect((await maker).exit_code).toBe(0);
    expect(await waiter).toMatchObject({ stdout: 'saw it\n', timed_out: false });
  });

  it('refuses commands past the limit with 429 and Retry-After', async () => {
    const blockers = [1, 2, 3].map(() => run({ command: 'sh -c "while [ ! -f release ]; do sleep 0.05; done"', timeout: 30 }));
    // The three are running once each has created its marker; poll for them.
    let refused: Awaited<ReturnType<typeof execute>> | undefined;
    for (let i = 0; i < 200 && !refused; i++) {
      const res = await execute(rt.url, { command: 'true' });
      if (res.status === 429) refused = res;
      else await new Promise((r) => setTimeout(r, 25));
    }
    expect(refused?.status).toBe(429);
    expect(refused?.headers['retry-after']).toBe('1');
    expect(refused?.json()).toEqual({ message: 'too many commands running (at most 3 at once)' });
    writeFileSync(join(rt.baseDir, 'release'), '');
    for (const b of await Promise.all(blockers)) expect(b.exit_code).toBe(0);
    expect((await execute(rt.url, { command: 'true' })).status).toBe(200);
  });
});

describe('[ext] streaming execution (Server-Sent Events)', () => {
  it('delivers output as it comes, stdout and stderr apart, and the exit code last', async () => {
    const res = await fetch(`${rt.url}/execute/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'sh -c "echo one; echo err >&2; sleep 1; echo two; exit 4"' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events: Array<{ event: string; data: Record<string, unknown>; at: number }> = [];
    const decoder = new TextDecoder();
    let pending = '';
    for await (const chunk of res.body!) {
      pending += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = pending.indexOf('\n\n')) !== -1) {
        const block = pending.slice(0, end);
        pending = pending.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)![1]!;
        const data = JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as Record<string, unknown>;
        events.push({ event, data, at: Date.now() });
      }
    }
    const stdout = events.filter((e) => e.event === 'stdout');
    expect(stdout.map((e) => e.data.data).join('')).toBe('one\ntwo\n');
    expect(events.filter((e) => e.event === 'stderr').map((e) => e.data.data).join('')).toBe('err\n');
    const last = events.at(-1)!;
    expect(last).toMatchObject({ event: 'exit', data: { exit_code: 4, timed_out: false } });
    // "one" arrived while the command was still sleeping, not with the end.
    expect(last.at - stdout[0]!.at).toBeGreaterThanOrEqual(700);
  });
});
