import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ControlPlane } from '../cluster.ts';
import { realNodeWanted } from '../node/prerequisites.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The kubeconfig every integration test uses. */
    kubeconfig: string;
    /** The local cluster's name when this run started one (so fault tests can restart parts). */
    localCluster: string | undefined;
    /** Whether the cluster has a real node (the node tier runs only then). */
    realNode: boolean;
  }
}

/**
 * Uses the cluster named by KUBECONFIG when it is set (with a real node only if
 * AGENT_SANDBOX_REAL_NODE=1 says it has one); otherwise starts a local control plane for this
 * run, with a real node when the machine allows it (see realNodeWanted), and removes it
 * afterwards, whatever the tests did. A run that is killed outright leaves a cluster whose owner is gone: the next
 * `up` of any cluster sweeps it.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const given = process.env.KUBECONFIG;
  if (given) {
    project.provide('kubeconfig', given);
    project.provide('localCluster', undefined);
    project.provide('realNode', process.env.AGENT_SANDBOX_REAL_NODE === '1');
    return;
  }
  // Every project of the run calls this; they share the one cluster named after the run.
  const realNode = realNodeWanted();
  const name = `test-${process.pid}`;
  // The project's CRDs go in before the controller-manager starts, as on a real cluster where
  // they are installed long before sandboxes exist: its garbage collector then knows them.
  const crds = join(import.meta.dirname, '..', '..', '..', '..', 'deploy', 'crds');
  const cp = await ControlPlane.up({
    name,
    ownerPid: process.pid,
    preload: [crds],
    realNode,
    progress: (line) => console.error(`controlplane: ${line}`),
  });
  project.provide('kubeconfig', cp.kubeconfigPath);
  project.provide('localCluster', name);
  project.provide('realNode', realNode);
  return async () => {
    if (process.env.AGENT_SANDBOX_KEEP_CLUSTER === '1') {
      console.error(`controlplane: keeping cluster "${name}" (npm run cluster -- down --name ${name})`);
      return;
    }
    await cp.down();
  };
}
