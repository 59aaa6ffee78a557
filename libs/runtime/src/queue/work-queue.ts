import { realClock, type Clock, type TimerHandle } from '../time/clock.ts';
import { MinHeap } from './min-heap.ts';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.ts';

/** What the queue reports; the controller wires it to Prometheus. */
export interface WorkQueueMetrics {
  add(): void;
  depth(n: number): void;
  /** Seconds a key waited in the queue before a worker took it. */
  queueLatency(seconds: number): void;
  /** Seconds a worker held a key. */
  workDuration(seconds: number): void;
  retry(): void;
}

export interface WorkQueueOptions {
  clock?: Clock;
  rateLimiter?: RateLimiter;
  metrics?: WorkQueueMetrics;
}

/**
 * client-go's rate-limiting work queue. De-duplication falls out of two sets: `dirty` (keys
 * waiting to be processed) and `processing` (keys a worker holds). A key added while a worker
 * holds it waits in `dirty` and goes back on the queue when the worker calls `done`, so no key
 * is ever processed by two workers at once and a change made in flight is processed once more.
 * On top: delayed adds (`addAfter`) and rate-limited retries (`addRateLimited`, `forget`).
 */
export class WorkQueue {
  readonly #clock: Clock;
  readonly #rateLimiter: RateLimiter;
  readonly #metrics: WorkQueueMetrics | undefined;

  readonly #queue: string[] = [];
  #head = 0;
  readonly #dirty = new Set<string>();
  readonly #processing = new Map<string, number>();
  readonly #addedAt = new Map<string, number>();
  /** How long each key a worker holds waited in the queue (ms), for its reconcile's span. */
  readonly #waitedMs = new Map<string, number>();
  readonly #waiters: Array<(key: string | undefined) => void> = [];
  #shuttingDown = false;
  #drained: Array<() => void> = [];

  /** Delayed adds: when each key is due (monotonic ms), earliest first. */
  readonly #waiting = new MinHeap();
  #timer: { handle: TimerHandle; at: number } | undefined;

  constructor(options: WorkQueueOptions = {}) {
    this.#clock = options.clock ?? realClock;
    this.#rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter(this.#clock);
    this.#metrics = options.metrics;
  }

  /** Keys waiting for a worker (not counting delayed ones). */
  get length(): number {
    return this.#queue.length - this.#head;
  }

  /** Keys held by workers right now. */
  get inFlight(): number {
    return this.#processing.size;
  }

  /** Keys waiting on a delay (requeueAfter or backoff). */
  get delayed(): number {
    return this.#waiting.size;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Milliseconds the longest-held key has been held, for the stuck-worker gauges. */
  longestRunningMs(): number {
    const now = this.#clock.monotonic();
    let longest = 0;
    for (const since of this.#processing.values()) longest = Math.max(longest, now - since);
    return longest;
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#metrics?.add();
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#push(key);
  }

  /** Adds `key` after `ms`; a key already due sooner keeps the sooner time. */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.#clock.monotonic() + ms;
    const current = this.#waiting.get(key);
    if (current !== undefined && current <= at) return;
    this.#waiting.set(key, at);
    this.#schedule();
  }

  /** Adds `key` after the rate limiter's delay: per-key backoff and the overall bucket. */
  addRateLimited(key: string): void {
    this.#metrics?.retry();
    this.addAfter(key, this.#rateLimiter.when(key));
  }

  /** Clears the key's failure history (after a success). */
  forget(key: string): void {
    this.#rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.#rateLimiter.numRequeues(key);
  }

  /** The next key to work on; waits for one; undefined once the queue shuts down. */
  get(): Promise<string | undefined> {
    if (this.length > 0) return Promise.resolve(this.#take());
    if (this.#shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** How long `key`, now held by a worker, waited in the queue before `get` handed it out (ms). */
  waitedMs(key: string): number | undefined {
    return this.#waitedMs.get(key);
  }

  /** The worker is finished with `key`; if it was added meanwhile, it is queued again. */
  done(key: string): void {
    const since = this.#processing.get(key);
    if (since === undefined) return;
    this.#processing.delete(key);
    this.#waitedMs.delete(key);
    this.#metrics?.workDuration((this.#clock.monotonic() - since) / 1000);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#push(key);
    if (this.#processing.size === 0 && this.#shuttingDown) for (const d of this.#drained.splice(0)) d();
  }

  /**
   * Stops handing out keys: waiting `get` calls get undefined, queued and delayed keys are
   * dropped. The promise resolves when every key a worker holds is `done`.
   */
  shutDown(): Promise<void> {
    this.#shuttingDown = true;
    if (this.#timer) this.#clock.clearTimer(this.#timer.handle);
    this.#timer = undefined;
    this.#waiting.clear();
    this.#queue.length = 0;
    this.#head = 0;
    for (const w of this.#waiters.splice(0)) w(undefined);
    this.#metrics?.depth(0);
    if (this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  #push(key: string): void {
    this.#addedAt.set(key, this.#clock.monotonic());
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#queue.push(key);
      waiter(this.#take());
      return;
    }
    this.#queue.push(key);
    this.#metrics?.depth(this.length);
  }

  #take(): string {
    const key = this.#queue[this.#head]!;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    const now = this.#clock.monotonic();
    this.#processing.set(key, now);
    this.#dirty.delete(key);
    const addedAt = this.#addedAt.get(key);
    this.#addedAt.delete(key);
    if (addedAt !== undefined) {
      this.#waitedMs.set(key, now - addedAt);
      this.#metrics?.queueLatency((now - addedAt) / 1000);
    }
    this.#metrics?.depth(this.length);
    return key;
  }

  #schedule(): void {
    const next = this.#waiting.peek();
    if (!next) return;
    if (this.#timer && this.#timer.at <= next.at) return;
    if (this.#timer) this.#clock.clearTimer(this.#timer.handle);
    const at = next.at;
    this.#timer = { at, handle: this.#clock.setTimer(() => this.#fire(), at - this.#clock.monotonic()) };
  }

  #fire(): void {
    this.#timer = undefined;
    // A timer can come back early (a clamped delay): only what is due goes on the queue.
    for (const { key } of this.#waiting.popDue(this.#clock.monotonic())) this.add(key);
    this.#schedule();
  }
}
