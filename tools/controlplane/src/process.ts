import { spawn } from 'node:child_process';
import { openSync, closeSync, readdirSync, readFileSync } from 'node:fs';

/** Starts `bin` in its own process group, output appended to `logFile`; the caller may exit. */
export function startDetached(bin: string, args: readonly string[], logFile: string, cwd: string): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(bin, args, { cwd, detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`could not start ${bin}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/**
 * Is `pid` alive and still running `bin`? Checking the command line guards against killing an
 * unrelated process that reused the pid after ours died.
 */
export function isRunning(pid: number | undefined, bin: string | readonly string[]): boolean {
  if (!isAlive(pid)) return false;
  try {
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!;
    return (typeof bin === 'string' ? [bin] : bin).some((b) => argv0 === b || (!b.includes('/') && argv0.endsWith(`/${b}`)));
  } catch {
    return process.platform !== 'linux';
  }
}

/**
 * Whether `pid` still lives (not a zombie), whatever it runs. For a process just started by us:
 * while it passes through its launcher's exec steps (sh → nsenter → the binary), its command
 * line can read as something else, or as nothing at all for a moment; `isRunning` would then
 * take it for gone.
 */
export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return process.platform !== 'linux';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM the process group, then SIGKILL after `graceMs`. Resolves once the process is gone. */
export async function stopProcess(pid: number, bin: string | readonly string[], graceMs = 10_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!isRunning(pid, bin)) return;
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  kill(signal);
  const deadline = Date.now() + graceMs;
  while (isRunning(pid, bin)) {
    if (Date.now() > deadline) {
      kill('SIGKILL');
      await sleep(100);
      if (Date.now() > deadline + 5_000) throw new Error(`process ${pid} (${bin}) did not exit`);
    }
    await sleep(50);
  }
  // Dead is not yet gone: a killed multi-threaded process shows as a zombie while its other
  // threads still exit, holding its sockets; and its parent reaps it a moment later (this
  // process, or init). Wait for that, bounded: a zombie of one thread holds nothing.
  const gone = Date.now() + 5_000;
  while (!reaped(pid) && Date.now() < gone) await sleep(20);
}

/** Is `pid` gone, or at least a zombie whose every thread has exited? */
function reaped(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return state.slice(state.lastIndexOf(')') + 2).startsWith('Z') && readdirSync(`/proc/${pid}/task`).length <= 1;
  } catch {
    return true;
  }
}

/** CPU time of a process so far, in ms (utime + stime; clock ticks are 10 ms); NaN once it is gone. */
export function cpuMs(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** Resident memory of a process in bytes: all of it, and its anonymous and file-backed (with shared memory) parts; NaN once it is gone. */
export function residentBytes(pid: number | undefined): { rss: number; anon: number; file: number } {
  let status = '';
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return { rss: NaN, anon: NaN, file: NaN };
  }
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') };
}

export { freePort, portInUse } from '@agent-sandbox/cache';
