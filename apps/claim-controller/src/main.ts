import { createManager, managerFlags, runProgram } from '@agent-sandbox/runtime';
import pkg from '../package.json' with { type: 'json' };
import { registerControllers } from './controllers.ts';

const NAME = 'claim-controller';

await runProgram({
  name: NAME,
  version: pkg.version,
  summary: "Binds SandboxClaims to Ready warm-pool Sandboxes, or starts a Sandbox cold from the pool's template.",
  flags: {
    ...managerFlags,
    workers: {
      kind: 'integer',
      help: 'Claims reconciled at once (one claim is never reconciled by two workers of a replica; replicas arbitrate through the API server).',
      default: 32,
      min: 1,
    },
    'allowed-label-domains': {
      kind: 'string',
      help: 'Comma-separated domains a claim\'s additionalPodMetadata label keys may use (each with its subdomains).',
      default: 'sandbox.users.io',
    },
  },
  async start({ flags, log, health, signal }) {
    const manager = await createManager({ flags, log, health }, { name: NAME, version: pkg.version });
    const domains = flags['allowed-label-domains'].split(',').map((d) => d.trim()).filter(Boolean);
    registerControllers(manager, { workers: flags.workers, allowedLabelDomains: domains });
    await manager.start(signal);
    return () => manager.stop();
  },
});
