/**
 * CPU accounting for the benchmarks that run against a cluster made by `npm run cluster -- up`
 * on this machine: the control plane's pids from its state.json, and CPU time from /proc.
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

/** The control plane's processes by component, from the state.json beside `<cluster>/kubeconfig/admin.yaml`; empty if there is none. */
export function clusterPids(kubeconfigPath: string | undefined): Record<string, number> {
  try {
    return (JSON.parse(readFileSync(join(kubeconfigPath!, '..', '..', 'state.json'), 'utf8')) as { pids: Record<string, number> }).pids;
  } catch {
    return {};
  }
}
