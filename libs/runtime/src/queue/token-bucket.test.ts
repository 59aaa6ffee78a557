import { describe, expect, it } from 'vitest';
import { FakeClock } from '../time/fake-clock.ts';
import { settle } from '../testing/scripted-source.ts';
import { TokenBucket } from './rate-limiter.ts';

describe('TokenBucket', () => {
  it('lets a burst through at once, then paces the rest at the rate, in arrival order', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(100, 5, clock);
    const order: Array<[number, number]> = [];
    const all = Promise.all(Array.from({ length: 25 }, (_, i) => bucket.take().then(() => order.push([i, clock.monotonic()]))));
    for (let t = 0; t < 300; t += 5) {
      await settle(2);
      clock.advance(5);
    }
    await all;
    expect(order.map(([i]) => i)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    // 5 at once, then one every 10 ms.
    expect(order.slice(0, 5).every(([, at]) => at === 0)).toBe(true);
    for (let i = 5; i < 25; i++) expect(order[i]![1]).toBeGreaterThanOrEqual((i - 4) * 10);
    expect(order[24]![1]).toBeLessThanOrEqual(210);
  });

  it('drops a waiter whose signal aborts, giving its token back, without holding up the next', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(10, 1, clock);
    await bucket.take();
    const abort = new AbortController();
    const gaveUp = bucket.take(abort.signal);
    abort.abort(new Error('stop'));
    await expect(gaveUp).rejects.toThrow('stop');
    let next = false;
    void bucket.take().then(() => (next = true));
    clock.advance(99);
    await settle();
    expect(next).toBe(false);
    clock.advance(1);
    await settle();
    expect(next).toBe(true);
  });

  it('refuses a rate that is not above 0', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(/rate must be above 0/);
  });
});
