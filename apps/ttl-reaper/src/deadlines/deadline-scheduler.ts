import { DeadlineHeap } from './deadline-heap.ts';

export interface TimerClock {
  now(): number;
  setTimer(fn: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
}

export const systemClock: TimerClock = {
  now: () => Date.now(),
  setTimer: (fn, delayMs) => setTimeout(fn, delayMs),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Node clamps longer timers to 1 ms; a far deadline is reached by re-arming. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface DueDeadline {
  key: string;
  at: number;
}

/**
 * Every deadline in one heap and exactly one timer, armed for the earliest. No polling, no
 * timer per object: ten thousand deadlines cost ten thousand heap entries and one timer.
 * `onDue` gets what fell due, earliest first; entries leave the heap when handed over.
 */
export class DeadlineScheduler {
  readonly #heap = new DeadlineHeap();
  readonly #onDue: (due: DueDeadline[]) => void;
  readonly #clock: TimerClock;
  #timer: unknown;
  #armedFor: number | undefined;
  #stopped = false;

  constructor(onDue: (due: DueDeadline[]) => void, clock: TimerClock = systemClock) {
    this.#onDue = onDue;
    this.#clock = clock;
  }

  get size(): number {
    return this.#heap.size;
  }

  /** When `key` is due, if it is scheduled. */
  get(key: string): number | undefined {
    return this.#heap.get(key);
  }

  /** Schedules `key` at `at`, moves it, or (with undefined) removes it. */
  set(key: string, at: number | undefined): void {
    if (at === undefined) this.#heap.delete(key);
    else this.#heap.set(key, at);
    this.#arm();
  }

  delete(key: string): void {
    if (this.#heap.delete(key)) this.#arm();
  }

  stop(): void {
    this.#stopped = true;
    this.#disarm();
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#armedFor = undefined;
  }

  #arm(): void {
    if (this.#stopped) return;
    const next = this.#heap.peek();
    if (!next) return this.#disarm();
    if (this.#armedFor === next.at) return;
    this.#disarm();
    const delay = Math.min(Math.max(next.at - this.#clock.now(), 0), MAX_TIMER_MS);
    this.#armedFor = next.at;
    this.#timer = this.#clock.setTimer(() => this.#fire(), delay);
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedFor = undefined;
    if (this.#stopped) return;
    const due = this.#heap.popDue(this.#clock.now());
    if (due.length > 0) this.#onDue(due);
    this.#arm();
  }
}
