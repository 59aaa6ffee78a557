import { realClock, type Clock } from '../time/clock.ts';

/**
 * ReplicaSet-style expectations (client-go's ControllerExpectations): after a controller creates
 * or deletes objects for a key, it makes no further creates or deletes for it until the informer
 * has shown it those changes (or the expectation timed out), so a stale cache never makes it act
 * twice. Times are on the monotonic clock.
 */
export interface Expectation {
  creates: number;
  /** Names of members whose deletion has not been observed yet. */
  deletes: Set<string>;
  setAtMs: number;
}

export class Expectations {
  readonly #byKey = new Map<string, Expectation>();
  readonly #timeoutMs: number;
  readonly #clock: Clock;

  constructor(timeoutMs: number, clock: Clock = realClock) {
    this.#timeoutMs = timeoutMs;
    this.#clock = clock;
  }

  #now(): number {
    return this.#clock.monotonic();
  }

  #entry(key: string): Expectation {
    let e = this.#byKey.get(key);
    if (!e) {
      e = { creates: 0, deletes: new Set(), setAtMs: this.#now() };
      this.#byKey.set(key, e);
    }
    return e;
  }

  expectCreates(key: string, n: number): void {
    const e = this.#entry(key);
    e.creates += n;
    e.setAtMs = this.#now();
  }

  expectDeletes(key: string, names: Iterable<string>): void {
    const e = this.#entry(key);
    for (const name of names) e.deletes.add(name);
    e.setAtMs = this.#now();
  }

  /** A create was seen by the informer, or failed (it will never be seen). */
  creationObserved(key: string): void {
    const e = this.#byKey.get(key);
    if (e && e.creates > 0) e.creates--;
  }

  /** A delete was seen by the informer, or failed. */
  deletionObserved(key: string, name: string): void {
    this.#byKey.get(key)?.deletes.delete(name);
  }

  /** True when nothing is outstanding, or what is has waited past the timeout. */
  satisfied(key: string): boolean {
    const e = this.#byKey.get(key);
    if (!e || (e.creates <= 0 && e.deletes.size === 0)) return true;
    if (this.#now() - e.setAtMs >= this.#timeoutMs) {
      this.#byKey.delete(key);
      return true;
    }
    return false;
  }

  /** Ms until the outstanding expectation of `key` times out (undefined when none). */
  remainingMs(key: string): number | undefined {
    const e = this.#byKey.get(key);
    if (!e || (e.creates <= 0 && e.deletes.size === 0)) return undefined;
    return Math.max(1, this.#timeoutMs - (this.#now() - e.setAtMs));
  }

  forget(key: string): void {
    this.#byKey.delete(key);
  }
}
