import type { Clock, TimerHandle } from './clock.ts';

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A clock that moves only when told to; timers due by then fire in time order. Its wall clock
 * and its monotonic clock move together, except that `stepWallClock` moves the wall clock alone
 * (an NTP step, a VM resumed), which is what monotonic deadlines must not see.
 */
export class FakeClock implements Clock {
  #now: number;
  #monotonic = 0;
  #nextId = 1;
  #timers: Timer[] = [];

  constructor(start = 1_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#monotonic;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.#nextId++, at: this.#monotonic + Math.max(0, ms), fn };
    this.#timers.push(timer);
    return { id: timer.id };
  }

  clearTimer(handle: TimerHandle): void {
    const id = (handle as { id: number }).id;
    this.#timers = this.#timers.filter((t) => t.id !== id);
  }

  /** Pending timers, for assertions. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const target = this.#monotonic + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
      const next = this.#timers[0];
      if (!next || next.at > target) break;
      this.#timers.shift();
      this.#now += next.at - this.#monotonic;
      this.#monotonic = next.at;
      next.fn();
    }
    this.#now += target - this.#monotonic;
    this.#monotonic = target;
  }

  /** Moves the wall clock alone (forwards or backwards); timers and the monotonic clock stay. */
  stepWallClock(ms: number): void {
    this.#now += ms;
  }
}
