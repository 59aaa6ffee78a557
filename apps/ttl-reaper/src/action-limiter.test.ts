import { describe, expect, it } from 'vitest';
import { ActionLimiter } from './action-limiter.ts';

describe('ActionLimiter', () => {
  it('lets a burst through at once, then paces the rest at the rate, in arrival order', async () => {
    const limiter = new ActionLimiter(100, 5);
    const started = performance.now();
    const order: number[] = [];
    await Promise.all(Array.from({ length: 25 }, (_, i) => limiter.take().then(() => order.push(i))));
    const elapsed = performance.now() - started;
    expect(order).toEqual(Array.from({ length: 25 }, (_, i) => i));
    // 5 at once, then 20 more at 100/s: about 200 ms.
    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('drops a waiter whose signal aborts without holding up the next', async () => {
    const limiter = new ActionLimiter(10, 1);
    await limiter.take();
    const abort = new AbortController();
    const gaveUp = limiter.take(abort.signal);
    abort.abort(new Error('stop'));
    await expect(gaveUp).rejects.toThrow('stop');
    await expect(limiter.take()).resolves.toBeUndefined();
  });
});
