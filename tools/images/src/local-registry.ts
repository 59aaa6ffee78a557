import { cacheRoot, freePort } from '@agent-sandbox/cache';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GO_MODULES_DIR } from './paths.ts';

/**
 * The CNCF Distribution registry, built from the Go module pinned in tools/images/go/registry
 * into its own cache entry, and run on loopback: the push test's target, and a registry a
 * local cluster can pull from.
 */

const MODULE = 'github.com/distribution/distribution/v3';
const MODULE_DIR = join(GO_MODULES_DIR, 'registry');
const MARKER = '.complete';

export function registryVersion(): { version: string; digest: string } {
  const goMod = readFileSync(join(MODULE_DIR, 'go.mod'), 'utf8');
  const version = new RegExp(`^\\s*(?:require\\s+)?${MODULE.replaceAll('.', '\\.')}\\s+(v\\S+)`, 'm').exec(goMod)?.[1];
  if (!version) throw new Error(`${MODULE_DIR}/go.mod does not require ${MODULE}`);
  const hash = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'tools.go']) hash.update(readFileSync(join(MODULE_DIR, f)));
  return { version, digest: hash.digest('hex').slice(0, 12) };
}

/** `<cache root>/registry/distribution-<version>_<digest>/registry` */
export function registryBinaryPath(env: NodeJS.ProcessEnv = process.env): string {
  const v = registryVersion();
  return join(cacheRoot(env), 'registry', `distribution-${v.version}_${v.digest}`, 'registry');
}

function run(cmd: string, args: string[], cwd: string, logFile: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(logFile, { flags: 'a' });
    log.write(`$ (cd ${cwd} && ${cmd} ${args.join(' ')})\n`);
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', (err) => {
      log.end();
      reject(err.message.includes('ENOENT') ? new Error(`${cmd} not found on PATH: install Go (see README)`) : err);
    });
    child.on('close', (code) => {
      log.end();
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.slice(0, 2).join(' ')} failed (exit ${code}); see ${logFile}`));
    });
  });
}

/** Builds the registry binary unless the cache has it (then a no-op). */
export async function ensureRegistryBinary(progress: (line: string) => void = () => {}): Promise<string> {
  const binary = registryBinaryPath();
  const dir = join(binary, '..');
  if (existsSync(join(dir, MARKER))) return binary;
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  const logFile = join(tmp, 'build.log');
  const started = Date.now();
  progress(`building ${MODULE} ${registryVersion().version} (first run: a minute or two; log: ${logFile})`);
  await run(
    'go',
    ['build', '-trimpath', '-ldflags', '-s -w', '-o', join(tmp, 'registry'), `${MODULE}/cmd/registry`],
    MODULE_DIR,
    logFile,
    { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=readonly', GOTOOLCHAIN: 'local' },
  );
  await writeFile(join(tmp, MARKER), new Date().toISOString() + '\n');
  try {
    await rename(tmp, dir);
  } catch (err) {
    // Another process finished the same build first: theirs is as good as ours.
    if (!existsSync(join(dir, MARKER))) throw err;
    await rm(tmp, { recursive: true, force: true });
  }
  progress(`registry ready in ${((Date.now() - started) / 1000).toFixed(0)} s: ${binary}`);
  return binary;
}

export interface LocalRegistry {
  /** host:port to use in image references (`127.0.0.1:40123`). */
  host: string;
  url: string;
  dataDir: string;
  logFile: string;
  /** With `auth: 'htpasswd'`: the user the registry made for itself. */
  credentials?: { username: string; password: string };
  stop(): Promise<void>;
}

export interface LocalRegistryOptions {
  /** Default: a free port. */
  port?: number;
  /** Where blobs are stored (default: a new temporary folder, removed on stop). */
  dataDir?: string;
  /**
   * `htpasswd`: basic authentication; the registry provisions a user `docker` with a random
   * password, which `credentials` returns (for tests of authenticated pushes).
   */
  auth?: 'htpasswd';
}

/** Starts the registry on 127.0.0.1 and waits until /v2/ answers. */
export async function startLocalRegistry(opts: LocalRegistryOptions = {}): Promise<LocalRegistry> {
  const binary = await ensureRegistryBinary((l) => console.error(`registry: ${l}`));
  const work = await mkdtemp(join(tmpdir(), 'agent-sandbox-registry-'));
  const dataDir = opts.dataDir ?? join(work, 'data');
  const port = opts.port ?? (await freePort());
  const host = `127.0.0.1:${port}`;
  const config = join(work, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${JSON.stringify(dataDir)}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${host}`,
      // One registry process: the upload-state secret need not be shared.
      `  secret: ${createHash('sha256').update(work).digest('hex')}`,
      ...(opts.auth === 'htpasswd' ? ['auth:', '  htpasswd:', '    realm: agent-sandbox', `    path: ${JSON.stringify(join(work, 'htpasswd'))}`] : []),
      '',
    ].join('\n'),
  );
  const logFile = join(work, 'registry.log');
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(binary, ['serve', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OTEL_TRACES_EXPORTER: 'none', OTEL_SDK_DISABLED: 'true' },
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.on('exit', () => ((exited = true), resolve())));
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      await Promise.race([exit, sleep(5000, undefined, { ref: false }).then(() => child.kill('SIGKILL'))]);
      await exit;
    }
    log.end();
    await rm(work, { recursive: true, force: true });
  };
  const url = `http://${host}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exited) {
      const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      await stop();
      throw new Error(`the registry exited at start: ${text.slice(-2000)}`);
    }
    try {
      const res = await fetch(`${url}/v2/`);
      await res.body?.cancel();
      if (res.ok || (opts.auth && res.status === 401)) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the registry did not answer on ${url} within 15 s`);
    }
    await sleep(100);
  }
  const registry: LocalRegistry = { host, url, dataDir, logFile, stop };
  if (opts.auth === 'htpasswd') {
    const password = /htpasswd is missing, provisioning with default user.*\bpassword=(\S+)/.exec(readFileSync(logFile, 'utf8'))?.[1];
    if (!password) {
      await stop();
      throw new Error('the registry did not log the password of the user it provisioned');
    }
    registry.credentials = { username: 'docker', password };
  }
  return registry;
}
