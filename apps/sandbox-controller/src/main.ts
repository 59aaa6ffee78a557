import { runProgram } from '@agent-sandbox/runtime';
import pkg from '../package.json' with { type: 'json' };

await runProgram({
  name: 'sandbox-controller',
  version: pkg.version,
  summary: 'Reconciles Sandboxes into their Pod, headless Service and PVCs, and SandboxTemplates into their NetworkPolicy.',
  flags: {},
  async start() {},
});
