import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@agent-sandbox/telemetry';

/** A logger whose JSON lines are kept in memory, for unit tests that read what was logged. */
export function memoryLog(level: 'debug' | 'info' | 'silent' = 'debug'): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { log: createLogger({ program: 'unit', level, destination }), lines };
}
