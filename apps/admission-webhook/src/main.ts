import { runProgram } from '@agent-sandbox/runtime';
import pkg from '../package.json' with { type: 'json' };

await runProgram({
  name: 'admission-webhook',
  version: pkg.version,
  summary: 'Defaults and validates Agent Sandbox objects at admission (mutating and validating webhooks over HTTPS).',
  flags: {},
  async start() {},
});
