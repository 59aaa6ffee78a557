import { MinHeap } from '../queue/min-heap.ts';
import { realClock, type Clock, type TimerHandle } from './clock.ts';

export interface DueDeadline {
  key: string;
  /** Wall-clock milliseconds since the epoch. */
  at: number;
}

/**
 * Every deadline in one heap and exactly one timer, armed for the earliest. No polling, no
 * timer per object: ten thousand deadlines cost ten thousand heap entries and one timer.
 * Deadlines are wall-clock times (a `shutdownTime`); a timer that comes back early (the clock
 * clamps long delays) only re-arms. `onDue` gets what fell due, earliest first; entries leave
 * the heap when handed over.
 */
export class DeadlineScheduler {
  readonly #heap = new MinHeap();
  readonly #onDue: (due: DueDeadline[]) => void;
  readonly #clock: Clock;
  #timer: TimerHandle | undefined;
  #armedFor: number | undefined;
  #stopped = false;

  constructor(onDue: (due: DueDeadline[]) => void, clock: Clock = realClock) {
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
    this.#armedFor = next.at;
    this.#timer = this.#clock.setTimer(() => this.#fire(), Math.max(next.at - this.#clock.now(), 0));
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
