/**
 * Building Go commands from pinned modules into the cache: the mechanism shared by the control
 * plane (build.ts) and every other Go tool the project pins (helm: tools/chart). Each tool has
 * its own module folder and its own cache entry keyed by a digest of its go.mod and go.sum.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The environment of every build: static binaries, the pins exactly as written, the installed Go. */
export const GO_BUILD_ENV = { CGO_ENABLED: '0', GOFLAGS: '-mod=readonly', GOTOOLCHAIN: 'local' } as const;

const MARKER = '.complete';

/** Short digest of a module's go.mod and go.sum files: any change of pin makes a new cache entry. */
export function moduleDigest(files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const f of files) hash.update(readFileSync(f));
  return hash.digest('hex').slice(0, 12);
}

/** Runs a command, appending its output to `logFile`; resolves with its stdout. */
export function runLogged(cmd: string, args: string[], cwd: string, logFile: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(logFile, { flags: 'a' });
    log.write(`$ (cd ${cwd} && ${cmd} ${args.join(' ')})\n`);
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      log.write(chunk);
    });
    child.stderr.pipe(log, { end: false });
    child.on('error', (err) => {
      log.end();
      reject(err.message.includes('ENOENT') ? new Error(`${cmd} not found on PATH: install Go (see README)`) : err);
    });
    child.on('close', (code) => {
      log.end();
      if (code === 0) resolve(stdout);
      else reject(new Error(`${cmd} ${args.slice(0, 2).join(' ')} failed (exit ${code}); see ${logFile}`));
    });
  });
}

/** Whether a cache entry was completely built. */
export function cacheEntryComplete(dir: string): boolean {
  return existsSync(join(dir, MARKER));
}

/**
 * Fills the cache entry `dir` by `fill(tmp, logFile)` unless it is complete already. The build
 * goes to a temporary folder renamed into place at the end, so an interrupted or concurrent
 * build never leaves a half-filled entry.
 */
export async function buildCacheEntry(dir: string, fill: (tmp: string, logFile: string) => Promise<void>): Promise<void> {
  if (cacheEntryComplete(dir)) return;
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await fill(tmp, join(tmp, 'build.log'));
  await writeFile(join(tmp, MARKER), new Date().toISOString() + '\n');
  try {
    await rename(tmp, dir);
  } catch (err) {
    // Another process finished the same build first: theirs is as good as ours.
    if (!cacheEntryComplete(dir)) throw err;
    await rm(tmp, { recursive: true, force: true });
  }
}
