import { runProgram } from '@agent-sandbox/runtime';
import pkg from '../package.json' with { type: 'json' };

await runProgram({
  name: 'claim-controller',
  version: pkg.version,
  summary: "Binds SandboxClaims to Ready warm-pool Sandboxes, or starts a Sandbox cold from the pool's template.",
  flags: {},
  async start() {},
});
