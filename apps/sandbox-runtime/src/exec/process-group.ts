import { readdirSync, readFileSync } from 'node:fs';

/**
 * Kills every process of the group led by `pgid` with SIGKILL, again and again until none is
 * left: a process forking while the first signal is delivered (a fork bomb does little else)
 * leaves a child in the group that the next round gets. Resolves with whether the group is gone.
 */
export async function killProcessGroup(pgid: number, options: { timeoutMs?: number } = {}): Promise<boolean> {
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  for (;;) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
      throw err;
    }
    // Members that are only zombies are dead already; when the runtime is the container's
    // PID 1, orphans become its children and nobody reaps them, so they never leave the group.
    if (processesInGroup(pgid).length === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The pids of live (not zombie) processes whose process group is `pgid`, read from /proc. */
export function processesInGroup(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: fields follow the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}
