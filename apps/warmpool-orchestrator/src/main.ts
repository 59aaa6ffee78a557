import { runProgram } from '@agent-sandbox/runtime';
import pkg from '../package.json' with { type: 'json' };

await runProgram({
  name: 'warmpool-orchestrator',
  version: pkg.version,
  summary: 'Keeps each SandboxWarmPool at its desired number of warm member Sandboxes.',
  flags: {},
  async start() {},
});
