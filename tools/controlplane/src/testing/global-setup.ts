import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ControlPlane } from '../cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The kubeconfig every integration test uses. */
    kubeconfig: string;
    /** The local cluster's name when this run started one (so fault tests can restart parts). */
    localCluster: string | undefined;
  }
}

/**
 * Uses the cluster named by KUBECONFIG when it is set; otherwise starts a local control plane
 * for this run (building the binaries on first use) and removes it afterwards, whatever the
 * tests did. A run that is killed outright leaves a cluster whose owner is gone: the next
 * `up` of any cluster sweeps it.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const given = process.env.KUBECONFIG;
  if (given) {
    project.provide('kubeconfig', given);
    project.provide('localCluster', undefined);
    return;
  }
  const name = `test-${process.pid}`;
  // The project's CRDs go in before the controller-manager starts, as on a real cluster where
  // they are installed long before sandboxes exist: its garbage collector then knows them.
  const crds = join(import.meta.dirname, '..', '..', '..', '..', 'deploy', 'crds');
  const cp = await ControlPlane.up({
    name,
    ownerPid: process.pid,
    preload: [crds],
    progress: (line) => console.error(`controlplane: ${line}`),
  });
  project.provide('kubeconfig', cp.kubeconfigPath);
  project.provide('localCluster', name);
  return async () => {
    if (process.env.AGENT_SANDBOX_KEEP_CLUSTER === '1') {
      console.error(`controlplane: keeping cluster "${name}" (npm run cluster -- down --name ${name})`);
      return;
    }
    await cp.down();
  };
}
