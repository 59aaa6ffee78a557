import { Writable } from 'node:stream';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

function memoryLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { log: createLogger({ program: 'test', level: 'info', destination }), lines };
}

const flushed = (log: ReturnType<typeof memoryLogger>['log']) => new Promise<void>((resolve) => log.flush(() => setImmediate(resolve)));

const span = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED };

describe('createLogger', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => context.setGlobalContextManager(manager.enable()));
  afterAll(() => {
    manager.disable();
    context.disable();
  });

  it('puts the active trace and span on every line, whichever logger writes it, across awaits', async () => {
    const { log, lines } = memoryLogger();
    const shared = log.child({ component: 'writer' });
    log.info('before');
    await context.with(trace.setSpanContext(context.active(), span), async () => {
      log.info('base logger in the operation');
      await new Promise((r) => setTimeout(r, 5));
      shared.warn({ key: 'ns/a' }, 'shared child logger after an await');
    });
    log.info('after');
    await flushed(log);
    const byMsg = Object.fromEntries(lines.map((l) => [l.msg, l]));
    expect(byMsg['before']).not.toHaveProperty('trace_id');
    expect(byMsg['after']).not.toHaveProperty('trace_id');
    expect(byMsg['base logger in the operation']).toMatchObject({ trace_id: span.traceId, span_id: span.spanId });
    expect(byMsg['shared child logger after an await']).toMatchObject({ trace_id: span.traceId, span_id: span.spanId, component: 'writer', key: 'ns/a' });
  });

  it('leaves a trace id given with the line as it is, and names no invalid span', async () => {
    const { log, lines } = memoryLogger();
    await context.with(trace.setSpanContext(context.active(), span), async () => {
      log.info({ trace_id: 'given' }, 'explicit');
    });
    await context.with(trace.setSpanContext(context.active(), { ...span, traceId: '0'.repeat(32) }), async () => {
      log.info('invalid span');
    });
    await flushed(log);
    const explicit = lines.find((l) => l.msg === 'explicit')!;
    expect(explicit.trace_id).toBe('given');
    expect(explicit).not.toHaveProperty('span_id');
    expect(lines.find((l) => l.msg === 'invalid span')).not.toHaveProperty('trace_id');
  });
});
