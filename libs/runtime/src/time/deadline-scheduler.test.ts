import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS, type TimerHandle } from './clock.ts';
import { DeadlineScheduler, type DueDeadline } from './deadline-scheduler.ts';
import { FakeClock } from './fake-clock.ts';

/**
 * A FakeClock whose timers cannot wait longer than Node's (2^31-1 ms: a longer one comes back
 * then), as realClock's; and whose timers can be counted.
 */
class ClampingClock extends FakeClock {
  readonly timers = new Set<number>();
  override setTimer(fn: () => void, ms: number): TimerHandle {
    const handle = super.setTimer(() => {
      this.timers.delete((handle as { id: number }).id);
      fn();
    }, Math.min(ms, MAX_TIMER_MS)) as { id: number };
    this.timers.add(handle.id);
    return handle;
  }
  override clearTimer(handle: TimerHandle): void {
    this.timers.delete((handle as { id: number }).id);
    super.clearTimer(handle);
  }
  get time(): number {
    return this.now();
  }
}

function setup() {
  const clock = new ClampingClock(0);
  const fired: (DueDeadline & { firedAt: number })[] = [];
  const scheduler = new DeadlineScheduler((due) => due.forEach((d) => fired.push({ ...d, firedAt: clock.time })), clock);
  return { clock, fired, scheduler };
}

describe('DeadlineScheduler', () => {
  it('keeps one timer however many deadlines it holds, and fires each exactly at its time', () => {
    const { clock, fired, scheduler } = setup();
    for (let i = 0; i < 1000; i++) scheduler.set(`ns/s${i}`, 1_000 + i * 10);
    expect(clock.timers.size).toBe(1);
    clock.advance(20_000);
    expect(fired).toHaveLength(1000);
    expect(fired.every((f) => f.firedAt === f.at)).toBe(true);
    expect(clock.timers.size).toBe(0);
  });

  it('takes an edit that moves a deadline earlier, later, or removes it, at once', () => {
    const { clock, fired, scheduler } = setup();
    scheduler.set('a', 10_000);
    scheduler.set('b', 20_000);
    scheduler.set('a', 5_000); // earlier
    scheduler.set('b', 30_000); // later
    clock.advance(6_000);
    expect(fired.map((f) => [f.key, f.firedAt])).toEqual([['a', 5_000]]);
    scheduler.set('b', undefined); // removed
    clock.advance(60_000);
    expect(fired.map((f) => f.key)).toEqual(['a']);
  });

  it('hands over past deadlines at once, earliest first', () => {
    const { clock, fired, scheduler } = setup();
    clock.advance(100_000);
    scheduler.set('late', 50_000);
    scheduler.set('later', 90_000);
    scheduler.set('earliest', 10_000);
    clock.advance(0);
    expect(fired.map((f) => f.key)).toEqual(['earliest', 'late', 'later']);
  });

  it('reaches a deadline beyond the longest Node timer by re-arming', () => {
    const { clock, fired, scheduler } = setup();
    const farAway = 40 * 24 * 3_600_000; // 40 days
    scheduler.set('far', farAway);
    clock.advance(farAway - 1);
    expect(fired).toHaveLength(0);
    clock.advance(1);
    expect(fired).toEqual([{ key: 'far', at: farAway, firedAt: farAway }]);
  });

  it('does nothing after stop', () => {
    const { clock, fired, scheduler } = setup();
    scheduler.set('a', 10);
    scheduler.stop();
    scheduler.set('b', 20);
    clock.advance(100);
    expect(fired).toEqual([]);
    expect(clock.timers.size).toBe(0);
  });
});
