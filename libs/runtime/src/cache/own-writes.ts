import { objectKey, type KubeObject } from '../client/objects.ts';

/**
 * Orders two resourceVersions: negative, zero or positive like a comparator, or undefined when
 * either is not the decimal integer etcd makes (Kubernetes documents resourceVersions of one
 * resource as comparable integers since KEP-5504; anything else is never assumed ordered).
 */
export function compareResourceVersions(a: string | undefined, b: string | undefined): number | undefined {
  if (!a || !b || !/^[1-9][0-9]*$/.test(a) || !/^[1-9][0-9]*$/.test(b)) return undefined;
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Written<T> {
  obj: T;
  at: number;
}

/**
 * What this process last wrote, for the moment its cache still shows an older version.
 *
 * A reconcile that runs before the watch has delivered the process's own last write acts on
 * what it has already changed: it writes the same status again, reports a transition twice, or
 * loses a resourceVersion race against itself (409). `fresher` gives the newer of the cached
 * object and the one the API server returned for this process's last write; once the cache
 * catches up the entry is dropped. Entries older than `maxAgeMs` are dropped too, so an object
 * deleted before its watch event arrived is not remembered for long.
 */
export class OwnWrites<T extends KubeObject> {
  readonly #written = new Map<string, Written<T>>();
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #sweepAt = 0;

  constructor(options: { maxAgeMs?: number; now?: () => number } = {}) {
    this.#maxAgeMs = options.maxAgeMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#written.size;
  }

  /** Records an object as the API server returned it from a write; returns it. */
  remember<U extends T>(obj: U): U {
    const key = objectKey(obj);
    const held = this.#written.get(key);
    // Writes of one process can complete out of order: keep the newest.
    if (!held || (compareResourceVersions(obj.metadata.resourceVersion, held.obj.metadata.resourceVersion) ?? 1) > 0) {
      this.#written.set(key, { obj, at: this.#now() });
    }
    this.#sweep();
    return obj;
  }

  /**
   * The newer of `cached` and this process's last write of the same object. Undefined when the
   * cache has no such object (it was deleted; the remembered write is dropped).
   */
  fresher<U extends T>(key: string, cached: U | undefined): U | undefined {
    const held = this.#written.get(key);
    if (!held) return cached;
    if (!cached || held.obj.metadata.uid !== cached.metadata.uid) {
      this.#written.delete(key); // gone, or another object of the same name
      return cached;
    }
    if ((compareResourceVersions(held.obj.metadata.resourceVersion, cached.metadata.resourceVersion) ?? -1) > 0) return held.obj as U;
    this.#written.delete(key); // the cache caught up (or moved past): it is the truth again
    return cached;
  }

  forget(key: string): void {
    this.#written.delete(key);
  }

  #sweep(): void {
    const now = this.#now();
    if (now < this.#sweepAt) return;
    this.#sweepAt = now + this.#maxAgeMs;
    for (const [key, held] of this.#written) if (held.at + this.#maxAgeMs < now) this.#written.delete(key);
  }
}
