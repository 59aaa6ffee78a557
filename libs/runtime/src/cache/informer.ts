import type { Logger } from '@agent-sandbox/telemetry';
import { ApiError, isGone } from '../client/api-error.ts';
import { kindId, type ResourceKind } from '../client/kinds.ts';
import type { KubeClient } from '../client/kube-client.ts';
import { objectKey, type KubeObject, type ObjectList } from '../client/objects.ts';
import { jitter, realClock, sleep, type Clock, type TimerHandle } from '../time/clock.ts';
import { clientListerWatcher, type ListerWatcher, type WatchEvent } from './lister-watcher.ts';
import { Store } from './store.ts';
import { admitObject, type Transform } from './trim.ts';

/** The annotation of the bookmark that ends a streaming list's initial events. */
const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

export interface EventHandlers<T extends KubeObject = KubeObject> {
  add?(obj: T): void;
  update?(old: T, obj: T): void;
  /** `finalStateUnknown`: the delete was found by a relist, so `obj` is the last state seen. */
  delete?(obj: T, info: { finalStateUnknown: boolean }): void;
}

export interface InformerOptions<T extends KubeObject = KubeObject> {
  kind: ResourceKind;
  /** The API server; or, instead, `listerWatcher`. */
  client?: KubeClient;
  /** Where lists and watches come from (default: the client's REST list and watch). */
  listerWatcher?: ListerWatcher<T>;
  log: Logger;
  /** One namespace, or all of them. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Applied after the standard trim (no managedFields). */
  transform?: Transform<T>;
  /** Whether to drop managedFields and the last-applied annotation on the way in (default true). */
  trim?: boolean;
  /** Page size of lists. */
  pageSize?: number;
  /**
   * Fill the cache from a streaming list (watch with `sendInitialEvents`) instead of a paged
   * list: objects enter the cache one by one as they arrive, and the stream goes on as the watch.
   * On the first list each object is in the store, and delivered as an add, as soon as it
   * arrives, so controllers that may start before the caches sync can begin with it.
   * An API server that refuses it (WatchList off) is asked for paged lists from then on.
   * Default: on with a `client`, off with a `listerWatcher`.
   */
  streamingList?: boolean;
  /** Server-side watch timeout before jitter: each watch asks for [min, 2·min). Default 5 min. */
  minWatchTimeoutMs?: number;
  /** A stream silent this long is presumed dead and reopened. Default 2 min (bookmarks come about every minute). */
  watchdogMs?: number;
  /** First retry delay after a failed list or watch; doubles to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  clock?: Clock;
}

/**
 * A streaming list until its end bookmark. The first one fills the cache as objects arrive
 * (`leftover`: what an earlier, broken attempt cached and this list has not brought yet, empty
 * on a first attempt); a relist gathers the objects aside and then replaces the cache with them,
 * so the difference reaches the handlers as adds, updates and deletes.
 */
type InitialStream<T> = { progressive: true; leftover: Set<string> } | { progressive: false; objects: Map<string, T> };

/** Counters for tests and debugging. */
export interface InformerStats {
  /** Initial and re-lists, paged or streamed. */
  lists: number;
  /** Of `lists`, those served as a streaming list. */
  streamedLists: number;
  watches: number;
  /** Watches or list continuations answered with 410 Gone. */
  expired: number;
  watchdogFired: number;
}

/**
 * A cache of one kind kept current by list + watch (client-go's reflector and informer in one):
 * a paginated list, then watches with bookmarks and a jittered server-side timeout, each resumed
 * from the last resourceVersion seen. A 410 Gone relists, and the difference between the cache
 * and the fresh list is delivered as adds, updates and deletes, so a delete is never lost. A
 * watchdog reopens a stream that stays silent.
 */
export class Informer<T extends KubeObject = KubeObject> {
  readonly kind: ResourceKind;
  readonly store = new Store<T>();
  readonly stats: InformerStats = { lists: 0, streamedLists: 0, watches: 0, expired: 0, watchdogFired: 0 };
  readonly #options: InformerOptions<T>;
  readonly #source: ListerWatcher<T>;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #handlers: EventHandlers<T>[] = [];
  #resourceVersion = '';
  /** The current (or last) watch delivered at least one event that was applied. */
  #watchMadeProgress = false;
  #synced = false;
  #syncedWaiters: Array<() => void> = [];
  #running: Promise<void> | undefined;
  #stop = new AbortController();
  #watchAbort: AbortController | undefined;
  #paused: { resume: Promise<void>; release: () => void } | undefined;
  #resumeFrom: string | undefined;
  #streaming: boolean;
  /** The current streaming list has delivered all its initial objects. */
  #streamListed = false;

  constructor(options: InformerOptions<T>) {
    this.kind = options.kind;
    this.#options = options;
    const { client, namespace, labelSelector, fieldSelector } = options;
    if (options.listerWatcher) this.#source = options.listerWatcher;
    else if (client) this.#source = clientListerWatcher<T>(client, options.kind, { namespace, labelSelector, fieldSelector });
    else throw new Error(`informer ${kindId(options.kind)}: needs a client or a listerWatcher`);
    this.#streaming = options.streamingList ?? !options.listerWatcher;
    this.#clock = options.clock ?? realClock;
    this.#log = options.log.child({ informer: kindId(options.kind), ...(options.namespace ? { namespace: options.namespace } : {}) });
  }

  /** Handlers added late still see every cached object as an add (the cache may fill before it syncs). */
  addHandlers(handlers: EventHandlers<T>): void {
    this.#handlers.push(handlers);
    if (this.store.size > 0) for (const obj of this.store.list()) handlers.add?.(obj);
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves once the initial list is in the cache (or at once if stopped). */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    return new Promise((resolve) => {
      const onAbort = () => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#syncedWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  get lastResourceVersion(): string {
    return this.#resourceVersion;
  }

  start(): void {
    this.#running ??= this.#run().catch((err) => this.#log.error({ err }, 'informer loop failed'));
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    this.#watchAbort?.abort();
    this.#paused?.release();
    await this.#running;
  }

  /**
   * Fault-test hook: closes the current watch and opens no other until `resume`. Changes made
   * meanwhile must arrive after resuming, by the watch or by a relist.
   */
  pause(): void {
    if (this.#paused) return;
    let release!: () => void;
    const resume = new Promise<void>((r) => (release = r));
    this.#paused = { resume, release };
    this.#watchAbort?.abort();
  }

  /** Ends a pause; `fromResourceVersion` makes the next watch start there (an old one forces a 410). */
  resume(options: { fromResourceVersion?: string } = {}): void {
    this.#resumeFrom = options.fromResourceVersion;
    const paused = this.#paused;
    this.#paused = undefined;
    paused?.release();
  }

  async #run(): Promise<void> {
    const initial = this.#options.initialBackoffMs ?? 800;
    const max = this.#options.maxBackoffMs ?? 30_000;
    let backoff = initial;
    let needList = true;
    const stop = this.#stop.signal;
    while (!stop.aborted) {
      if (this.#paused) {
        await this.#paused.resume;
        continue;
      }
      try {
        if (needList && this.#streaming) {
          const startedAt = this.#clock.monotonic();
          this.#streamListed = false;
          try {
            await this.#watch(true);
          } finally {
            // Listed, even if the stream broke afterwards: what follows resumes from its resourceVersion.
            if (this.#streamListed) needList = false;
          }
          if (this.#streamListed) {
            // The stream was the list and then the watch; when it ends, watching resumes as usual.
            backoff = initial;
          } else if (this.#clock.monotonic() - startedAt < 1000 && !this.#paused && !stop.aborted) {
            await sleep(jitter(backoff, 0.5), stop, this.#clock);
            backoff = Math.min(backoff * 2, max);
          }
          continue;
        }
        if (needList) {
          await this.#list();
          needList = false;
          backoff = initial;
          if (this.#paused) continue;
        }
        if (this.#resumeFrom !== undefined) {
          this.#resourceVersion = this.#resumeFrom;
          this.#resumeFrom = undefined;
        }
        const startedAt = this.#clock.monotonic();
        const sawEvents = await this.#watch();
        if (sawEvents) backoff = initial;
        else if (this.#clock.monotonic() - startedAt < 1000 && !this.#paused && !stop.aborted) {
          // A server that ends watches at once must not be asked again in a tight loop.
          await sleep(jitter(backoff, 0.5), stop, this.#clock);
          backoff = Math.min(backoff * 2, max);
        }
      } catch (err) {
        if (stop.aborted) break;
        if (needList && this.#streaming && err instanceof ApiError && (err.code === 400 || err.code === 422)) {
          this.#streaming = false;
          this.#log.info({ err: describe(err) }, 'streaming list refused: using paged lists');
          continue;
        }
        if (isGone(err)) {
          this.stats.expired++;
          this.#log.info({ resourceVersion: this.#resourceVersion }, 'watch expired (410 Gone): relisting');
          needList = true;
          continue;
        }
        if (!needList && this.#watchMadeProgress) {
          // A stream that delivered events and then broke (the API server closes watchers it
          // finds slow, or restarts) resumes at once from the last resourceVersion: waiting would
          // only delay what happened meanwhile.
          this.#log.info({ err: describe(err) }, 'watch broke after delivering events: resuming');
          backoff = initial;
          continue;
        }
        this.#log.warn({ err: describe(err), retryInMs: Math.round(backoff) }, needList ? 'list failed' : 'watch failed');
        await sleep(jitter(backoff, 0.5), stop, this.#clock);
        backoff = Math.min(backoff * 2, max);
      }
    }
  }

  async #list(): Promise<void> {
    const limit = this.#options.pageSize ?? 500;
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    this.stats.lists++;
    do {
      // No resourceVersion: a consistent read from etcd; the pages share its snapshot.
      const page: ObjectList<T> = await this.#source.list({ limit, continue: cont, signal: this.#stop.signal });
      for (const item of page.items) {
        // Items of a list carry no apiVersion or kind; the cache keeps them whole objects.
        item.apiVersion ??= page.apiVersion;
        items.push(this.#admit(item, page.kind));
      }
      cont = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion ?? resourceVersion;
    } while (cont);

    this.#replaceAll(items, resourceVersion);
  }

  /** The cache becomes exactly `items` (a fresh list at `resourceVersion`); the differences go to the handlers. */
  #replaceAll(items: Iterable<T>, resourceVersion: string): void {
    const changes = this.store.replace(items);
    this.#resourceVersion = resourceVersion;
    const firstSync = !this.#synced;
    if (firstSync) this.#markSynced();
    this.#log.debug(
      { objects: this.store.size, added: changes.added.length, updated: changes.updated.length, deleted: changes.deleted.length, resourceVersion },
      firstSync ? 'initial list' : 'relisted',
    );
    for (const obj of changes.added) this.#emit('add', obj);
    for (const { old, obj } of changes.updated) this.#emit('update', obj, old);
    for (const obj of changes.deleted) this.#emit('delete', obj, undefined, true);
  }

  #markSynced(): void {
    this.#synced = true;
    for (const w of this.#syncedWaiters.splice(0)) w();
  }

  /**
   * One watch; resolves when the server ends it or the watchdog closes it; true if events arrived.
   * `streamingList`: the watch starts with every object (sendInitialEvents); resolves true only
   * if the initial events were all received and are in the cache.
   */
  async #watch(streamingList = false): Promise<boolean> {
    const minTimeout = this.#options.minWatchTimeoutMs ?? 300_000;
    const timeoutSeconds = Math.max(1, Math.floor(jitter(minTimeout) / 1000));
    const watchdogMs = this.#options.watchdogMs ?? 120_000;
    // A stop that came while the list was in flight has fired already: open no watch.
    if (this.#stop.signal.aborted) return false;
    const abort = new AbortController();
    this.#watchAbort = abort;
    const onStop = () => abort.abort();
    this.#stop.signal.addEventListener('abort', onStop, { once: true });
    let sawEvents = false;
    this.#watchMadeProgress = false;
    let watchdog: TimerHandle | undefined;
    const disarm = () => {
      if (watchdog !== undefined) this.#clock.clearTimer(watchdog);
      watchdog = undefined;
    };
    const arm = () => {
      disarm();
      watchdog = this.#clock.setTimer(() => {
        this.stats.watchdogFired++;
        this.#log.warn({ silentMs: watchdogMs }, 'watch stream silent: reopening');
        abort.abort();
      }, watchdogMs);
    };
    this.stats.watches++;
    let initial: InitialStream<T> | undefined;
    if (streamingList) {
      initial = this.#synced ? { progressive: false, objects: new Map() } : { progressive: true, leftover: new Set(this.store.keys()) };
      this.stats.lists++;
    }
    arm();
    try {
      await this.#source.watch({
        resourceVersion: streamingList ? '' : this.#resourceVersion,
        ...(streamingList ? { sendInitialEvents: true } : {}),
        timeoutSeconds,
        signal: abort.signal,
        onData: arm,
        onEvent: (event) => {
          if (initial) {
            if (this.#onInitialEvent(event, initial)) {
              initial = undefined;
              sawEvents = true;
            }
            return;
          }
          sawEvents = true;
          this.#onEvent(event);
          this.#watchMadeProgress = true;
        },
      });
    } catch (err) {
      // A close we asked for (watchdog, pause, stop) is not a failure: the loop decides what next.
      if (!abort.signal.aborted || isGone(err)) throw err;
    } finally {
      disarm();
      this.#stop.signal.removeEventListener('abort', onStop);
      if (this.#watchAbort === abort) this.#watchAbort = undefined;
    }
    return sawEvents;
  }

  /** An event of a streaming list before its end; true at the end, once the cache holds the list. */
  #onInitialEvent(event: WatchEvent<T>, initial: InitialStream<T>): boolean {
    if (event.type === 'ERROR') {
      this.#onEvent(event); // throws
      return false;
    }
    const rv = event.object?.metadata?.resourceVersion;
    if (event.type === 'BOOKMARK') {
      if (event.object?.metadata?.annotations?.[INITIAL_EVENTS_END] !== 'true') return false;
      this.stats.streamedLists++;
      if (initial.progressive) {
        // What an earlier, broken attempt cached and this list no longer has is gone.
        for (const key of initial.leftover) {
          const old = this.store.remove(key);
          if (old) this.#emit('delete', old, undefined, true);
        }
        initial.leftover.clear();
        this.#resourceVersion = rv ?? '';
        this.#markSynced();
        this.#log.debug({ objects: this.store.size, resourceVersion: this.#resourceVersion }, 'initial list');
      } else {
        this.#replaceAll(initial.objects.values(), rv ?? '');
        initial.objects.clear();
      }
      this.#streamListed = true;
      this.#watchMadeProgress = true;
      return true;
    }
    const obj = this.#admit(event.object);
    const key = objectKey(obj);
    if (!initial.progressive) {
      if (event.type === 'DELETED') initial.objects.delete(key);
      else initial.objects.set(key, obj);
      return false;
    }
    // The first list: into the cache at once, and to the handlers.
    initial.leftover.delete(key);
    this.#apply(event.type, obj, key);
    return false;
  }

  #onEvent(event: WatchEvent<T>): void {
    if (event.type === 'ERROR') {
      const status = event.object as unknown as { code?: number; reason?: string; message?: string };
      throw ApiError.fromStatus(status.code ?? 500, status);
    }
    const rv = event.object?.metadata?.resourceVersion;
    if (event.type === 'BOOKMARK') {
      if (rv) this.#resourceVersion = rv;
      return;
    }
    const obj = this.#admit(event.object);
    this.#apply(event.type, obj, objectKey(obj));
    if (rv) this.#resourceVersion = rv;
  }

  /** One object's event into the store, and to the handlers. */
  #apply(type: WatchEvent<T>['type'], obj: T, key: string): void {
    if (type === 'DELETED') {
      const old = this.store.remove(key);
      this.#emit('delete', obj, old);
    } else {
      const old = this.store.upsert(obj);
      if (old) this.#emit('update', obj, old);
      else this.#emit('add', obj);
    }
  }

  #admit(obj: T, listKind?: string): T {
    if (!obj.kind && listKind) obj.kind = listKind.replace(/List$/, '');
    return admitObject(obj, this.#options);
  }

  #emit(type: 'add' | 'update' | 'delete', obj: T, old?: T, finalStateUnknown = false): void {
    for (const h of this.#handlers) {
      try {
        if (type === 'add') h.add?.(obj);
        else if (type === 'update') h.update?.(old!, obj);
        else h.delete?.(obj, { finalStateUnknown });
      } catch (err) {
        this.#log.error({ err, key: objectKey(obj) }, 'event handler failed');
      }
    }
  }
}

function describe(err: unknown): { message: string; code?: number; reason?: string } {
  if (err instanceof ApiError) return { message: err.message, code: err.code, reason: err.reason };
  return { message: (err as Error)?.message ?? String(err) };
}
