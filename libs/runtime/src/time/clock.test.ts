import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../queue/work-queue.ts';
import { MAX_TIMER_MS, realClock, sleep, type Clock, type TimerHandle } from './clock.ts';
import { FakeClock } from './fake-clock.ts';

/** A FakeClock whose timers, like Node's, cannot wait longer than `max`: longer ones come back at `max`. */
class ClampingClock implements Clock {
  readonly fake = new FakeClock();
  readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  now = () => this.fake.now();
  monotonic = () => this.fake.monotonic();
  setTimer = (fn: () => void, ms: number): TimerHandle => this.fake.setTimer(fn, Math.min(ms, this.max));
  clearTimer = (h: TimerHandle) => this.fake.clearTimer(h);
}

describe('realClock', () => {
  it('does not fire a timer asked for longer than Node can wait a millisecond later', async () => {
    let fired = false;
    const handle = realClock.setTimer(() => (fired = true), 2 ** 31 + 1_000);
    try {
      // Node turns an over-long delay into 1 ms; look throughout the next 100 ms.
      for (const until = Date.now() + 100; Date.now() < until; ) {
        await new Promise((r) => setTimeout(r, 5));
        expect(fired).toBe(false);
      }
    } finally {
      realClock.clearTimer(handle);
    }
    expect(MAX_TIMER_MS).toBe(2 ** 31 - 1);
  });

  it('measures the monotonic time in milliseconds, never backwards', () => {
    const a = realClock.monotonic();
    const b = realClock.monotonic();
    expect(b).toBeGreaterThanOrEqual(a);
  });
});

describe('sleep on a clock whose timers are clamped', () => {
  it('waits again for what is left when a clamped timer comes back early', async () => {
    const clock = new ClampingClock(1_000);
    let woke = false;
    void sleep(3_500, undefined, clock).then(() => (woke = true));
    for (let t = 0; t < 3; t++) {
      clock.fake.advance(1_000);
      await Promise.resolve();
      expect(woke).toBe(false);
    }
    clock.fake.advance(500);
    await new Promise((r) => setImmediate(r));
    expect(woke).toBe(true);
  });

  it('lets a work queue hold a key for longer than one timer can wait', () => {
    const clock = new ClampingClock(1_000);
    const queue = new WorkQueue({ clock });
    queue.addAfter('k', 4_200);
    for (let t = 0; t < 4; t++) {
      clock.fake.advance(1_000);
      expect(queue.length).toBe(0);
    }
    clock.fake.advance(200);
    expect(queue.length).toBe(1);
  });

  it('times a FakeClock\'s timers on its monotonic clock, not on a stepped wall clock', () => {
    const clock = new FakeClock();
    let fired = false;
    clock.setTimer(() => (fired = true), 1_000);
    clock.stepWallClock(-60_000);
    clock.advance(999);
    expect(fired).toBe(false);
    clock.advance(1);
    expect(fired).toBe(true);
    expect(clock.monotonic()).toBe(1_000);
  });
});
