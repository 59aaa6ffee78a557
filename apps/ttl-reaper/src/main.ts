import { runProgram } from '@agent-sandbox/runtime';
import pkg from '../package.json' with { type: 'json' };

await runProgram({
  name: 'ttl-reaper',
  version: pkg.version,
  summary: 'Acts on deadlines: expires or deletes Sandboxes and SandboxClaims at their shutdown time.',
  flags: {},
  async start() {},
});
