/**
 * Time as the runtime sees it; tests inject a FakeClock. `now` is milliseconds since the epoch
 * (it may step when the system clock is set); `monotonic` never goes backwards and is what
 * delays and deadlines that fence behaviour (leader election) are measured on.
 */
export interface Clock {
  now(): number;
  /** Milliseconds on a clock that only moves forward (performance.now in a process). */
  monotonic(): number;
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

export type TimerHandle = { readonly id: number } | NodeJS.Timeout;

/**
 * The longest delay a Node timer honours: a longer one fires after 1 ms (with a warning). A
 * timer asked for more waits this long instead, and its owner looks at the time and waits again.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const realClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, Math.min(MAX_TIMER_MS, Math.max(0, ms)));
    t.unref?.();
    return t;
  },
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Resolves after `ms` on `clock`, or at once (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal, clock: Clock = realClock): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const until = clock.monotonic() + ms;
    let timer: TimerHandle;
    const done = () => {
      clock.clearTimer(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    // A clamped timer comes back early: wait again for what is left.
    const arm = (left: number) => {
      timer = clock.setTimer(() => {
        const rest = until - clock.monotonic();
        if (rest > 0) arm(rest);
        else done();
      }, left);
    };
    arm(ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** `ms` scaled by a random factor in [1, 1 + factor). */
export function jitter(ms: number, factor = 1): number {
  return ms * (1 + Math.random() * factor);
}
