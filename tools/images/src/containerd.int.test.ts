import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeImagesArchive, type BuiltImage } from './oci.ts';
import { buildRecipe, recipe } from './recipes.ts';

const execFileAsync = promisify(execFile);

/**
 * The archives go into containerd the way the real node loads them (`ctr -n k8s.io images
 * import`), and run under runc with a read-only root file system. Needs root and Debian's
 * containerd and runc (what the real node uses); a private containerd is started for the test
 * on its own socket and state folders.
 */
const available = process.getuid?.() === 0 && ['/usr/bin/containerd', '/usr/bin/ctr'].every(existsSync);

describe.runIf(available)('images in containerd', () => {
  let dir: string;
  let containerd: ChildProcess;
  let socket: string;
  let reaper: BuiltImage;
  let pause: BuiltImage;
  const ctrIn = (namespace: string, ...args: string[]) => execFileAsync('ctr', ['--address', socket, '--namespace', namespace, ...args], { maxBuffer: 16 << 20 });
  const ctr = (...args: string[]) => ctrIn('k8s.io', ...args);

  beforeAll(async () => {
    [reaper, pause] = [await buildRecipe(recipe('ttl-reaper')), await buildRecipe(recipe('pause'))];
    dir = await mkdtemp(join(tmpdir(), 'images-containerd-'));
    socket = join(dir, 'containerd.sock');
    await writeFile(
      join(dir, 'config.toml'),
      [
        'version = 2',
        `root = ${JSON.stringify(join(dir, 'root'))}`,
        `state = ${JSON.stringify(join(dir, 'state'))}`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]',
        '[grpc]',
        `  address = ${JSON.stringify(socket)}`,
        '[ttrpc]',
        `  address = ${JSON.stringify(`${socket}.ttrpc`)}`,
        '[plugins."io.containerd.internal.v1.opt"]',
        `  path = ${JSON.stringify(join(dir, 'opt'))}`,
        '',
      ].join('\n'),
    );
    containerd = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    containerd.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
    const deadline = Date.now() + 30_000;
    while (!existsSync(socket)) {
      if (containerd.exitCode !== null || Date.now() > deadline) throw new Error(`containerd did not start: ${log}`);
      await sleep(100);
    }
  }, 300_000);

  afterAll(async () => {
    if (containerd && containerd.exitCode === null) {
      const exited = new Promise((r) => containerd.once('exit', r));
      containerd.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (containerd.exitCode === null) containerd.kill('SIGKILL');
    }
    // Nothing of the test's may stay mounted under its folder.
    const mounts = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1])
      .filter((m): m is string => !!m && !!dir && m.startsWith(dir));
    for (const m of mounts.reverse()) await execFileAsync('umount', ['-l', m]).catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ctr images import keeps the name and the manifest digest', async () => {
    await ctr('images', 'import', reaper.archive);
    await ctr('images', 'import', pause.archive);
    const { stdout } = await ctr('images', 'ls');
    const rows = stdout.split('\n').map((l) => l.split(/\s+/));
    expect(rows.find((r) => r[0] === reaper.ref)?.[2]).toBe(reaper.digest);
    expect(rows.find((r) => r[0] === pause.ref)?.[2]).toBe(pause.digest);
  }, 300_000);

  it('one archive of several images loads them all by name', async () => {
    const archive = join(dir, 'all.tar');
    await writeImagesArchive([pause, reaper], archive);
    await ctrIn('combined', 'images', 'import', archive);
    const { stdout } = await ctrIn('combined', 'images', 'ls');
    const rows = stdout.split('\n').map((l) => l.split(/\s+/));
    expect(rows.filter((r) => r[0]?.startsWith('localhost:5001/')).map((r) => [r[0], r[2]])).toEqual([
      [pause.ref, pause.digest],
      [reaper.ref, reaper.digest],
    ]);
  }, 300_000);

  it('the program runs under runc with a read-only root as 65532, node as PID 1', async () => {
    const probe = `const fs = require('fs'); let write; try { fs.writeFileSync('/app/x', 'y'); write = 'written'; } catch (e) { write = e.code; }
      console.log(JSON.stringify({ pid: process.pid, uid: process.getuid(), write }));`;
    const { stdout } = await ctr('run', '--rm', '--read-only', reaper.ref, `probe-${process.pid}`, '/usr/local/bin/node', '-e', probe);
    expect(JSON.parse(stdout)).toEqual({ pid: 1, uid: 65532, write: 'EROFS' });
    const help = await ctr('run', '--rm', '--read-only', reaper.ref, `help-${process.pid}`, '/usr/local/bin/node', '/app/dist/main.js', '--help');
    expect(help.stdout).toMatch(/^Usage: ttl-reaper/);
  }, 120_000);
});
