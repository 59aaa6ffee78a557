import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Two tiers (see ../shared/spec/ARCHITECTURE.md "Test tiers"):
 *   unit         *.test.ts       pure logic, no processes, no network
 *   integration  *.int.test.ts   against a real control plane: the one named by KUBECONFIG,
 *                                else a local one started by tools/controlplane for the run
 */
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
          include: ['{apps,libs,tools}/*/src/**/*.int.test.ts', 'e2e/**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          environment: 'node',
          globalSetup: ['tools/controlplane/src/testing/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // Files share one control plane and each works in namespaces of its own.
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
    ],
  },
});
