/**
 * A min-heap of times keyed by string: one entry per key, so moving a time earlier or later, or
 * removing it, is an O(log n) update in place rather than a stale entry left behind. Ties are
 * broken by key so the order is deterministic. The work queue's delayed adds and the ttl-reaper's
 * deadlines both live in one.
 */
export class MinHeap {
  readonly #keys: string[] = [];
  readonly #at: number[] = [];
  readonly #index = new Map<string, number>();

  get size(): number {
    return this.#keys.length;
  }

  has(key: string): boolean {
    return this.#index.has(key);
  }

  get(key: string): number | undefined {
    const i = this.#index.get(key);
    return i === undefined ? undefined : this.#at[i];
  }

  /** Adds `key` at `at`, or moves it there. */
  set(key: string, at: number): void {
    const i = this.#index.get(key);
    if (i === undefined) {
      this.#keys.push(key);
      this.#at.push(at);
      this.#index.set(key, this.#keys.length - 1);
      this.#up(this.#keys.length - 1);
      return;
    }
    const before = this.#at[i]!;
    this.#at[i] = at;
    if (at < before) this.#up(i);
    else this.#down(i);
  }

  delete(key: string): boolean {
    const i = this.#index.get(key);
    if (i === undefined) return false;
    const last = this.#keys.length - 1;
    this.#swap(i, last);
    this.#keys.pop();
    this.#at.pop();
    this.#index.delete(key);
    if (i < this.#keys.length) {
      this.#up(i);
      this.#down(i);
    }
    return true;
  }

  clear(): void {
    this.#keys.length = 0;
    this.#at.length = 0;
    this.#index.clear();
  }

  /** The earliest entry, without removing it. */
  peek(): { key: string; at: number } | undefined {
    return this.#keys.length === 0 ? undefined : { key: this.#keys[0]!, at: this.#at[0]! };
  }

  /** Removes and returns every entry due at or before `now`, earliest first. */
  popDue(now: number): { key: string; at: number }[] {
    const due: { key: string; at: number }[] = [];
    for (let top = this.peek(); top && top.at <= now; top = this.peek()) {
      due.push(top);
      this.delete(top.key);
    }
    return due;
  }

  #less(a: number, b: number): boolean {
    const ta = this.#at[a]!;
    const tb = this.#at[b]!;
    return ta < tb || (ta === tb && this.#keys[a]! < this.#keys[b]!);
  }

  #swap(a: number, b: number): void {
    if (a === b) return;
    [this.#keys[a], this.#keys[b]] = [this.#keys[b]!, this.#keys[a]!];
    [this.#at[a], this.#at[b]] = [this.#at[b]!, this.#at[a]!];
    this.#index.set(this.#keys[a]!, a);
    this.#index.set(this.#keys[b]!, b);
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const n = this.#keys.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < n && this.#less(l, smallest)) smallest = l;
      if (r < n && this.#less(r, smallest)) smallest = r;
      if (smallest === i) return;
      this.#swap(i, smallest);
      i = smallest;
    }
  }
}
