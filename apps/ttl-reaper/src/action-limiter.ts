/**
 * A token bucket for the reaper's actions: deadlines that passed while the reaper was down
 * come due together at start, and are worked off at `ratePerSecond` (after a burst) rather
 * than all at once against the API server.
 */
export class ActionLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;
  #tail: Promise<void> = Promise.resolve();

  constructor(ratePerSecond: number, burst: number, now: () => number = () => performance.now()) {
    this.#rate = ratePerSecond;
    this.#burst = Math.max(1, burst);
    this.#now = now;
    this.#tokens = this.#burst;
    this.#last = now();
  }

  /** Resolves when an action may proceed; callers are served in arrival order. */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.#tail.then(() => this.#wait(signal));
    // A caller that gives up must not block the ones behind it.
    this.#tail = turn.catch(() => undefined);
    return turn;
  }

  async #wait(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.#now();
      this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
      this.#last = now;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      const waitMs = ((1 - this.#tokens) / this.#rate) * 1000;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, Math.ceil(waitMs));
        signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
      });
    }
  }
}
