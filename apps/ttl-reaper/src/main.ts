import { createManager, managerFlags, runProgram } from '@agent-sandbox/runtime';
import pkg from '../package.json' with { type: 'json' };
import { registerReaper } from './reaper.ts';

const NAME = 'ttl-reaper';

await runProgram({
  name: NAME,
  version: pkg.version,
  summary:
    'Acts on deadlines: at a Sandbox\'s shutdownTime, or a SandboxClaim\'s shutdownTime or ttlSecondsAfterFinished, ' +
    'deletes it, or marks it expired (annotation agents.x-k8s.io/expired-at) and deletes what it owns, by its shutdownPolicy. The only program that acts on clocks.',
  flags: {
    ...managerFlags,
    workers: {
      kind: 'integer',
      help: 'Objects acted on at once, per kind (one object is never handled by two workers).',
      default: 8,
      min: 1,
    },
    'actions-per-second': {
      kind: 'integer',
      help: 'Sustained rate of expiries and deletions, so that deadlines missed while the reaper was down do not flood the API server at start.',
      default: 200,
      min: 1,
    },
    'action-burst': {
      kind: 'integer',
      help: 'Actions allowed at once above the sustained rate.',
      default: 200,
      min: 1,
    },
  },
  async start({ flags, log, health, signal }) {
    const manager = await createManager({ flags, log, health }, { name: NAME, version: pkg.version });
    const { scheduler } = registerReaper(manager, {
      workers: flags.workers,
      actionsPerSecond: flags['actions-per-second'],
      actionBurst: flags['action-burst'],
    });
    await manager.start(signal);
    return async () => {
      scheduler.stop();
      await manager.stop();
    };
  },
});
