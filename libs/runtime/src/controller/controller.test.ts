import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { Kinds } from '../client/kinds.ts';
import { FakeClock } from '../time/fake-clock.ts';
import { memoryLog } from '../testing/memory-log.ts';
import { settle } from '../testing/scripted-source.ts';
import { Controller } from './controller.ts';
import { TerminalError, type Reconciler, type Request, type Result } from './reconcile.ts';

function controller(reconcile: Reconciler, concurrency = 1) {
  const clock = new FakeClock();
  const { log, lines } = memoryLog();
  const c = new Controller({ name: 'test', kind: Kinds.ConfigMap, reconcile, log, tracer: trace.getTracer('test'), concurrency, clock });
  return { c, clock, lines };
}

/** A reconcile the test answers by hand, one call at a time. */
function scripted() {
  const calls: Array<{ req: Request; signal: AbortSignal; answer: (r?: Result | Error) => void }> = [];
  const reconcile: Reconciler = (req, ctx) =>
    new Promise((resolve, reject) => {
      calls.push({ req, signal: ctx.signal, answer: (r) => (r instanceof Error ? reject(r) : resolve(r)) });
    });
  return { calls, reconcile };
}

describe('Controller on a fake clock', () => {
  it('reconciles the keys it is started with and those enqueued later, with namespace and name split', async () => {
    const seen: Request[] = [];
    const { c } = controller(async (req) => void seen.push(req));
    c.start(['ns/a']);
    c.enqueue('cluster-scoped');
    await settle();
    expect(seen).toEqual([{ key: 'ns/a', namespace: 'ns', name: 'a' }, { key: 'cluster-scoped', name: 'cluster-scoped' }]);
    await c.stop();
  });

  it('requeues after the delay a reconcile asks for, not before', async () => {
    let n = 0;
    const { c, clock } = controller(async () => (++n === 1 ? { requeueAfterMs: 1_000 } : undefined));
    c.start(['ns/a']);
    await settle();
    expect(n).toBe(1);
    clock.advance(999);
    await settle();
    expect(n).toBe(1);
    clock.advance(1);
    await settle();
    expect(n).toBe(2);
    clock.advance(60_000);
    await settle();
    expect(n).toBe(2);
    await c.stop();
  });

  it('sets a key aside when its reconcile answers afterSync, and takes it again only at cachesSynced (or its next event)', async () => {
    const runs: string[] = [];
    let synced = false;
    const { c, clock } = controller(async (req) => {
      runs.push(req.key);
      return synced || req.key === 'ns/ready' ? undefined : { afterSync: true };
    });
    c.start(['ns/a', 'ns/b', 'ns/ready']);
    await settle();
    expect(runs).toEqual(['ns/a', 'ns/b', 'ns/ready']);
    // Set aside: neither time nor backoff brings them back.
    clock.advance(60_000);
    await settle();
    expect(runs).toHaveLength(3);
    // An event for one of them runs it again (still not cached: set aside again).
    c.enqueue('ns/b');
    await settle();
    expect(runs.slice(3)).toEqual(['ns/b']);
    synced = true;
    c.cachesSynced();
    await settle();
    expect(runs.slice(4).sort()).toEqual(['ns/a', 'ns/b']);
    // Once: the set is empty afterwards.
    c.cachesSynced();
    await settle();
    expect(runs).toHaveLength(6);
    await c.stop();
  });

  it('retries a failed reconcile with per-key exponential backoff, and forgets it after a success', async () => {
    const { calls, reconcile } = scripted();
    const { c, clock, lines } = controller(reconcile);
    c.start(['ns/a']);
    await settle();
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      calls.at(-1)!.answer(new Error('boom'));
      await settle();
      const before = calls.length;
      let waited = 0;
      while (calls.length === before) {
        clock.advance(1);
        waited++;
        await settle(2);
      }
      waits.push(waited);
    }
    expect(waits).toEqual([5, 10, 20, 40]);
    expect(c.queue!.numRequeues('ns/a')).toBe(4);
    calls.at(-1)!.answer();
    await settle();
    expect(c.queue!.numRequeues('ns/a')).toBe(0);
    expect(lines.filter((l) => l.msg === 'reconcile failed: retrying with backoff')).toHaveLength(4);
    await c.stop();
  });

  it('does not retry a terminal error', async () => {
    let n = 0;
    const { c, clock, lines } = controller(async () => {
      n++;
      throw new TerminalError('bad spec');
    });
    c.start(['ns/a']);
    await settle();
    clock.advance(3_600_000);
    await settle();
    expect(n).toBe(1);
    expect(lines.some((l) => l.msg === 'reconcile failed with a terminal error: not retrying')).toBe(true);
    await c.stop();
  });

  it('never reconciles one key twice at once, and once more after a change made in flight', async () => {
    const { calls, reconcile } = scripted();
    const { c } = controller(reconcile, 4);
    c.start(['ns/a']);
    await settle();
    expect(calls).toHaveLength(1);
    c.enqueue('ns/a');
    c.enqueue('ns/a');
    c.enqueue('ns/b');
    await settle();
    expect(calls.map((x) => x.req.key)).toEqual(['ns/a', 'ns/b']);
    calls[0]!.answer();
    await settle();
    expect(calls.map((x) => x.req.key)).toEqual(['ns/a', 'ns/b', 'ns/a']);
    calls[1]!.answer();
    calls[2]!.answer();
    await settle();
    expect(calls).toHaveLength(3);
    await c.stop();
  });

  it('stop() aborts the reconciles in flight and waits for them; keys enqueued while stopped are dropped', async () => {
    const { calls, reconcile } = scripted();
    const { c } = controller(reconcile);
    c.start(['ns/a']);
    await settle();
    let stopped = false;
    const stopping = c.stop().then(() => (stopped = true));
    await settle();
    expect(calls[0]!.signal.aborted).toBe(true);
    expect(stopped).toBe(false);
    calls[0]!.answer();
    await stopping;
    c.enqueue('ns/b');
    await settle();
    expect(calls).toHaveLength(1);
    expect(c.running).toBe(false);
  });

  it('after a stop without waiting, a new start waits for the old workers before reconciling again', async () => {
    const { calls, reconcile } = scripted();
    const { c } = controller(reconcile);
    c.start(['ns/a']);
    await settle();
    await c.stop({ wait: false });
    c.start(['ns/a']);
    await settle();
    expect(calls).toHaveLength(1);
    calls[0]!.answer();
    await settle();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.signal.aborted).toBe(false);
    calls[1]!.answer();
    await c.stop();
  });
});
