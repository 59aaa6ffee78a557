import { realClock, type Clock } from '@agent-sandbox/runtime';

/**
 * A map whose entries expire, bounded in size (the oldest go first). Concurrent lookups of one
 * missing key share one load: a burst of requests with one token costs one review.
 */
export class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  readonly #loading = new Map<string, Promise<V>>();
  readonly #maxEntries: number;
  readonly #clock: Clock;

  constructor(options: { maxEntries: number; clock?: Clock }) {
    this.#maxEntries = options.maxEntries;
    this.#clock = options.clock ?? realClock;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached value and whether it was cached; `load` says how long its answer may be kept (0: not at all). */
  async get(key: string, load: () => Promise<{ value: V; ttlMs: number }>): Promise<{ value: V; cached: boolean }> {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt > this.#clock.now()) return { value: entry.value, cached: true };
    if (entry) this.#entries.delete(key);
    const inFlight = this.#loading.get(key);
    if (inFlight) return { value: await inFlight, cached: true };
    const loading = load().then(({ value, ttlMs }) => {
      if (ttlMs > 0) this.#set(key, value, ttlMs);
      return value;
    });
    this.#loading.set(key, loading);
    try {
      return { value: await loading, cached: false };
    } finally {
      this.#loading.delete(key);
    }
  }

  #set(key: string, value: V, ttlMs: number): void {
    this.#entries.delete(key);
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    this.#entries.set(key, { value, expiresAt: this.#clock.now() + ttlMs });
  }
}
