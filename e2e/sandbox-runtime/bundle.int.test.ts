import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, expect, it } from 'vitest';
import { execute, freshUid, multipart, NODE, rawRequest, startRuntime } from '../support/runtime-process.ts';

const BUNDLE = join(import.meta.dirname, '..', '..', 'apps', 'sandbox-runtime', 'dist', 'main.js');
const cleanup: string[] = [];
afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

it('runs from its bundle alone, as a non-root user, with a read-only root and only the base directory writable', async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` first`);
  // The bundle alone in a folder, nothing beside it or above it to resolve packages from.
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-runtime-bundle-'));
  cleanup.push(dir);
  chmodSync(dir, 0o755);
  copyFileSync(BUNDLE, join(dir, 'main.js'));
  expect(readdirSync(dir)).toEqual(['main.js']);
  const base = join(dir, 'app');
  const uid = freshUid();
  // A private mount namespace: the base is a fresh tmpfs, then everything else is made read-only.
  const script = [
    'set -e',
    'mkdir -p "$BASE"',
    'mount --make-rprivate /',
    'mount -t tmpfs -o size=64m,mode=0777 tmpfs "$BASE"',
    'mount -o remount,bind,ro /',
    `exec setpriv --reuid=${uid} --regid=${uid} --clear-groups -- "$NODE" "$DIR/main.js" --listen-host=127.0.0.1 --port=0 --sandbox-base-dir="$BASE"`,
  ].join('\n');
  const child = spawn('unshare', ['--mount', 'sh', '-c', script], {
    env: { BASE: base, NODE, DIR: dir, PATH: '/usr/local/bin:/usr/bin:/bin' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const record = JSON.parse(line) as Record<string, unknown>;
        if (record.msg === 'serving the runtime API') resolve(record.port as number);
      });
      void exited.then((code) => reject(new Error(`the bundle exited (${code})`)));
    });
    const url = `http://127.0.0.1:${port}`;
    expect((await rawRequest(url, 'GET', '/')).status).toBe(200);
    expect((await execute(url, { command: 'id -u' })).json()).toMatchObject({ stdout: `${uid}\n`, exit_code: 0 });
    const outsideWrite = (await execute(url, { command: `touch ${join(dir, 'written')}` })).json<{ exit_code: number; stderr: string }>();
    expect(outsideWrite.exit_code).not.toBe(0);
    expect(outsideWrite.stderr).toContain('Read-only file system');

    const { body, contentType } = multipart('in/base.txt', Buffer.from('kept in the base'));
    expect((await rawRequest(url, 'POST', '/upload', body, { 'content-type': contentType })).status).toBe(200);
    expect((await rawRequest(url, 'GET', '/download/in/base.txt')).body.toString()).toBe('kept in the base');
    // The stream endpoint and the rest need no writable place either.
    expect((await execute(url, { command: 'sh -c "echo ok"' })).json()).toMatchObject({ stdout: 'ok\n' });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    child.kill('SIGKILL');
  }
});

it('refuses to start as root unless told to', async () => {
  const failure = await startRuntime({ asRoot: true }).then(
    () => undefined,
    (err: Error & { code?: number; lines?: Array<Record<string, unknown>> }) => err,
  );
  expect(failure?.code).toBe(1);
  expect(failure?.lines?.find((l) => l.level === 'fatal')?.err).toMatchObject({
    message: 'refusing to run as root (uid 0): run as a non-root user, or pass --allow-root',
  });
  const allowed = await startRuntime({ asRoot: true, args: ['--allow-root'] });
  expect((await rawRequest(allowed.url, 'GET', '/')).status).toBe(200);
  expect(await allowed.stop()).toBe(0);
});
