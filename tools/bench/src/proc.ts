/**
 * The pids of a control plane made by `npm run cluster -- up` on this machine (its state.json),
 * for the benchmarks that account for its CPU (cpuMs and residentBytes are the control plane
 * package's).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The control plane's processes by component, from the state.json beside `<cluster>/kubeconfig/admin.yaml`; empty if there is none. */
export function clusterPids(kubeconfigPath: string | undefined): Record<string, number> {
  try {
    return (JSON.parse(readFileSync(join(kubeconfigPath!, '..', '..', 'state.json'), 'utf8')) as { pids: Record<string, number> }).pids;
  } catch {
    return {};
  }
}
