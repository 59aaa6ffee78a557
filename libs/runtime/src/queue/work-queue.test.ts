import { describe, expect, it } from 'vitest';
import { FakeClock } from '../time/fake-clock.ts';
import { BucketRateLimiter, ExponentialFailureRateLimiter, MaxOfRateLimiter } from './rate-limiter.ts';
import { WorkQueue } from './work-queue.ts';

/** Takes whatever is ready now, without waiting. */
async function drainReady(q: WorkQueue): Promise<string[]> {
  const out: string[] = [];
  while (q.length > 0) out.push((await q.get())!);
  return out;
}

describe('WorkQueue', () => {
  it('de-duplicates keys waiting to be processed', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    q.add('b');
    q.add('a');
    expect(await drainReady(q)).toEqual(['a', 'b']);
  });

  it('never hands out a key held by a worker, and re-queues it once after done if it changed in flight', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    const held = await q.get();
    expect(held).toBe('a');
    q.add('a');
    q.add('a');
    expect(q.length).toBe(0);
    q.done('a');
    expect(await drainReady(q)).toEqual(['a']);
    q.done('a');
    expect(q.length).toBe(0);
  });

  it('wakes a waiting worker on add and returns undefined to waiters at shutdown', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const waiting = q.get();
    q.add('x');
    expect(await waiting).toBe('x');
    const parked = q.get();
    const drained = q.shutDown();
    expect(await parked).toBeUndefined();
    let done = false;
    void drained.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    q.done('x');
    await drained;
    expect(q.shuttingDown).toBe(true);
  });

  it('addAfter delivers at the due time and keeps the sooner of two delays', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 1000);
    q.addAfter('a', 300);
    q.addAfter('b', 500);
    clock.advance(299);
    expect(q.length).toBe(0);
    clock.advance(1);
    expect(await drainReady(q)).toEqual(['a']);
    clock.advance(200);
    expect(await drainReady(q)).toEqual(['b']);
    clock.advance(10_000);
    expect(q.length).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('backs off per key exponentially from 5 ms, and forget resets it', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: new ExponentialFailureRateLimiter(5, 1_000_000) });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = clock.now();
      q.addRateLimited('k');
      while (q.length === 0) clock.advance(1);
      delays.push(clock.now() - before);
      await q.get();
      q.done('k');
    }
    expect(delays).toEqual([5, 10, 20, 40]);
    expect(q.numRequeues('k')).toBe(4);
    q.forget('k');
    expect(q.numRequeues('k')).toBe(0);
  });

  it('caps the per-key backoff at 1000 s', () => {
    const limiter = new ExponentialFailureRateLimiter(5, 1_000_000);
    let last = 0;
    for (let i = 0; i < 40; i++) last = limiter.when('k');
    expect(last).toBe(1_000_000);
    expect(limiter.when('other')).toBe(5);
  });

  it('limits retries across keys with a token bucket', () => {
    const clock = new FakeClock();
    const bucket = new BucketRateLimiter(10, 3, clock);
    expect([bucket.when(), bucket.when(), bucket.when()]).toEqual([0, 0, 0]);
    expect(bucket.when()).toBeCloseTo(100);
    expect(bucket.when()).toBeCloseTo(200);
    clock.advance(1000);
    // 10 tokens refilled but capped at the burst of 3, minus the 2 owed.
    expect(bucket.when()).toBe(0);
    const both = new MaxOfRateLimiter(new ExponentialFailureRateLimiter(5, 1_000_000), new BucketRateLimiter(1, 1, clock));
    expect(both.when('a')).toBe(5);
    expect(both.when('b')).toBeCloseTo(1000);
  });

  it('never lets two workers hold one key, under random adds and completions', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    const held = new Set<string>();
    let processed = 0;
    const workers = Array.from({ length: 4 }, async () => {
      for (;;) {
        const key = await q.get();
        if (key === undefined) return;
        expect(held.has(key)).toBe(false);
        held.add(key);
        await new Promise((r) => setImmediate(r));
        held.delete(key);
        processed++;
        q.done(key);
      }
    });
    for (let i = 0; i < 500; i++) {
      q.add(`k${i % 7}`);
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    while (q.length > 0 || q.inFlight > 0) await new Promise((r) => setImmediate(r));
    await q.shutDown();
    await Promise.all(workers);
    expect(processed).toBeGreaterThanOrEqual(7);
    expect(processed).toBeLessThan(500);
  });
});
