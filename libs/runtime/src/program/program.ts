import { createLogger, isLogLevel, LOG_LEVELS, type Logger } from '@agent-sandbox/telemetry';
import { parseBindAddress } from './bind-address.ts';
import { FlagError, parseFlags, renderHelp, type FlagSpecs, type FlagValues } from './flags.ts';
import { HealthServer } from './health-server.ts';

/** Flags every program has. Programs add their own next to these. */
export const commonFlags = {
  'log-level': {
    kind: 'string',
    help: 'Minimum level of the JSON log lines written to stdout.',
    default: 'info',
    choices: LOG_LEVELS,
  },
  'health-probe-bind-address': {
    kind: 'string',
    help: 'Address of the /healthz and /readyz endpoints (host:port, :port for all interfaces, 0 to disable).',
    default: ':8081',
  },
  'shutdown-timeout': {
    kind: 'duration',
    help: 'How long in-flight work may take to finish after SIGTERM before the program exits anyway.',
    default: 30_000,
  },
} as const satisfies FlagSpecs;

export type CommonFlags = typeof commonFlags;

export interface ProgramContext<S extends FlagSpecs> {
  flags: FlagValues<S> & FlagValues<CommonFlags>;
  log: Logger;
  health: HealthServer;
  /** Aborted when the program is asked to stop (SIGTERM or SIGINT). */
  signal: AbortSignal;
}

/** What `start` hands back: how to stop what it started, within the shutdown timeout. */
export type StopFn = () => Promise<void>;

export interface ProgramSpec<S extends FlagSpecs> {
  name: string;
  version: string;
  summary: string;
  flags: S;
  start(ctx: ProgramContext<S>): Promise<StopFn | void>;
}

export interface ProgramIO {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  exit: (code: number) => void;
}

const processIO: ProgramIO = {
  argv: process.argv.slice(2),
  env: process.env,
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  exit: (code) => process.exit(code),
};

/**
 * Runs a program: flags (exit 2 with a message naming the flag when bad), JSON logging,
 * health endpoints, then `start`. On SIGTERM or SIGINT it stops taking work, gives `stop`
 * up to --shutdown-timeout, closes the endpoints, flushes logs and exits 0. A second signal
 * exits at once.
 */
export async function runProgram<S extends FlagSpecs>(spec: ProgramSpec<S>, io: ProgramIO = processIO): Promise<void> {
  const specs = { ...commonFlags, ...spec.flags } as S & CommonFlags;
  let parsed;
  try {
    parsed = parseFlags(specs, io.argv, io.env);
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    io.stderr(`${spec.name}: ${err.message}\n`);
    return io.exit(2);
  }
  if (parsed.kind === 'help') return void io.stdout(renderHelp(spec.name, spec.summary, specs));
  if (parsed.kind === 'version') return void io.stdout(`${spec.name} ${spec.version}\n`);

  const flags = parsed.values as FlagValues<S> & FlagValues<CommonFlags>;
  const level = flags['log-level'];
  const log = createLogger({ program: spec.name, level: isLogLevel(level) ? level : 'info' });
  const health = new HealthServer();
  const stopping = new AbortController();
  let stop: StopFn | void = undefined;

  const finish = (code: number) => {
    log.flush();
    // Give pino's asynchronous destination a turn to drain before the process ends.
    setImmediate(() => io.exit(code));
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping.signal.aborted) {
      log.warn({ signal }, 'second signal: exiting now');
      return finish(1);
    }
    log.info({ signal }, 'shutting down');
    stopping.abort();
    void shutdown();
  };

  const shutdown = async () => {
    const timeoutMs = flags['shutdown-timeout'];
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const outcome = await Promise.race([Promise.resolve(stop?.()).then(() => 'done' as const), deadline]);
      if (outcome === 'timeout') log.warn({ timeoutMs }, 'in-flight work did not finish within the shutdown timeout');
    } catch (err) {
      log.error({ err }, 'error while stopping');
    } finally {
      clearTimeout(timer);
    }
    await health.close();
    log.info('stopped');
    finish(0);
  };

  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  // Not Ready until `start` has finished: a program registers its own readiness checks as it
  // starts, and with none yet /readyz would answer 200, so a Pod would join its Service before
  // its server listens (seen: the webhook's new Pod refusing reviews during a rolling update).
  let started = false;
  health.addReadinessCheck('started', () => started);

  try {
    const bind = parseBindAddress(flags['health-probe-bind-address']);
    if (bind) {
      const address = await health.listen(bind);
      log.info({ address: address.address, port: address.port }, 'serving health probes');
    }
    stop = await spec.start({ flags, log, health, signal: stopping.signal });
    started = true;
    log.info({ version: spec.version }, 'started');
  } catch (err) {
    log.fatal({ err }, 'failed to start');
    await health.close();
    finish(1);
  }
}
