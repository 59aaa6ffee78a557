import { context, trace } from '@opentelemetry/api';
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export const LOG_LEVELS: readonly LevelWithSilent[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export function isLogLevel(value: string): value is LevelWithSilent {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * Paths redacted from every log line. Programs log keys and reasons, never whole objects,
 * but a stray error from the API client can carry request options with credentials.
 */
const REDACT = [
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  '*.token',
  '*.password',
  '*.bearerToken',
  '*.clientKey',
  '*.keyData',
];

export interface LoggerOptions {
  program: string;
  level: LevelWithSilent;
  /** Where lines go; defaults to stdout. Tests pass a stream to read them back. */
  destination?: pino.DestinationStream;
}

/**
 * The trace and span of the operation a line is logged in (OpenTelemetry's log field names),
 * from the active context: every line of a reconcile carries them, whichever logger (the
 * reconcile's own, or a shared one such as the writer's or the event recorder's) wrote it.
 */
function activeTrace(mergeObject: object): Record<string, string> {
  if ('trace_id' in mergeObject) return {};
  const sc = trace.getSpanContext(context.active());
  return sc && trace.isSpanContextValid(sc) ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
}

/** One JSON line per record on stdout, with the program name on every line. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      mixin: activeTrace,
      base: { program: options.program, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
