/**
 * Process accounting for the benchmarks, from /proc: CPU time and resident memory of a process,
 * and the pids of a control plane made by `npm run cluster -- up` on this machine (its state.json).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

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

/** The control plane's processes by component, from the state.json beside `<cluster>/kubeconfig/admin.yaml`; empty if there is none. */
export function clusterPids(kubeconfigPath: string | undefined): Record<string, number> {
  try {
    return (JSON.parse(readFileSync(join(kubeconfigPath!, '..', '..', 'state.json'), 'utf8')) as { pids: Record<string, number> }).pids;
  } catch {
    return {};
  }
}
