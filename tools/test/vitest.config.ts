import { fileURLToPath } from 'node:url';
import { defineConfig, type TestProjectConfiguration } from 'vitest/config';
import { realNodeWanted } from '../controlplane/src/node/prerequisites.ts';

/**
 * Tiers (see docs/ARCHITECTURE.md "Test tiers"):
 *   unit         *.test.ts        pure logic, no processes, no network
 *   integration  *.int.test.ts    against a real control plane: the one named by KUBECONFIG,
 *                                 else a local one started by tools/controlplane for the run;
 *                                 files run in parallel, each in namespaces of its own
 *   node         *.node.int.test.ts  on the cluster's real node (kubelet, containerd, pod
 *                                 network, DNS): run when the machine allows it (Linux, root;
 *                                 AGENT_SANDBOX_REAL_NODE=0 opts out, =1 requires it), after
 *                                 the integration tier
 *   faults       *.fault.int.test.ts  tests that stop or restart control-plane components:
 *                                 one file at a time, last, so no other test sees the API
 *                                 server go away under it
 */
const realNode = realNodeWanted();
if (!realNode) console.error('vitest: no real node on this run (needs Linux and root; AGENT_SANDBOX_REAL_NODE=1 to require it): the node tier is not run');

const nodeTier: TestProjectConfiguration = {
  test: {
    name: 'node',
    sequence: { groupOrder: 1 },
    include: ['{apps,libs,tools}/*/src/**/*.node.int.test.ts', 'e2e/**/*.node.int.test.ts'],
    exclude: ['**/node_modules/**'],
    environment: 'node',
    globalSetup: ['tools/controlplane/src/testing/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // One file at a time: some restart the node's kubelet and containerd.
    fileParallelism: false,
  },
};

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    // A machine-readable summary for .ci/run's closing "N passed, N failed" line.
    reporters: ['default', 'json'],
    outputFile: { json: 'tmp/test-report.json' },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{apps,libs,tools}/*/src/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          sequence: { groupOrder: 0 },
          include: ['{apps,libs,tools}/*/src/**/*.int.test.ts', 'e2e/**/*.int.test.ts'],
          exclude: ['**/node_modules/**', '**/*.fault.int.test.ts', '**/*.node.int.test.ts'],
          environment: 'node',
          globalSetup: ['tools/controlplane/src/testing/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // Files share one control plane and each works in namespaces of its own.
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'faults',
          include: ['{apps,libs,tools}/*/src/**/*.fault.int.test.ts', 'e2e/**/*.fault.int.test.ts'],
          exclude: ['**/node_modules/**'],
          environment: 'node',
          globalSetup: ['tools/controlplane/src/testing/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
      ...(realNode ? [nodeTier] : []),
    ],
  },
});
