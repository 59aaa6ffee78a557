import { createManager, managerFlags, runProgram } from '@agent-sandbox/runtime';
import pkg from '../package.json' with { type: 'json' };
import { registerControllers } from './controllers.ts';

const NAME = 'warmpool-orchestrator';

await runProgram({
  name: NAME,
  version: pkg.version,
  summary: 'Keeps each SandboxWarmPool at its desired number of warm member Sandboxes.',
  flags: {
    ...managerFlags,
    workers: {
      kind: 'integer',
      help: 'SandboxWarmPools reconciled at once (one pool is never reconciled by two workers).',
      default: 4,
      min: 1,
    },
    'max-create-batch': {
      kind: 'integer',
      help: 'Most member writes at once: members are created 1, 2, 4, … at a time (slow start) up to this many, and deleted this many at a time.',
      default: 64,
      min: 1,
    },
    'ready-grace-period': {
      kind: 'duration',
      help: 'A member not Ready this long after creation is replaced, unless its Pod cannot be scheduled (then it is held and the pool says so).',
      default: 300_000,
    },
    'expectations-timeout': {
      kind: 'duration',
      help: 'How long a pool waits to observe its own creates and deletes before acting again anyway.',
      default: 60_000,
    },
    'status-min-interval': {
      kind: 'duration',
      help: 'Least time between two status writes of a pool that change only its counts (condition changes are written at once); 0 writes every change.',
      default: 1_000,
    },
  },
  async start({ flags, log, health, signal }) {
    const manager = await createManager({ flags, log, health }, { name: NAME, version: pkg.version });
    registerControllers(manager, {
      workers: flags.workers,
      maxBatch: flags['max-create-batch'],
      readyGraceMs: flags['ready-grace-period'],
      expectationsTimeoutMs: flags['expectations-timeout'],
      statusIntervalMs: flags['status-min-interval'],
    });
    await manager.start(signal);
    return () => manager.stop();
  },
});
