/**
 * A ListerWatcher driven by a test, line by line: each list call takes the next scripted
 * answer, each watch call opens a session the test feeds events into and then ends or breaks.
 * No API server is imitated: the test says exactly what the server would have said.
 */
import { ApiError } from '../client/api-error.ts';
import type { KubeObject, ObjectList } from '../client/objects.ts';
import type { ListerWatcher, ListOptions, WatchEvent, WatchOptions } from '../cache/lister-watcher.ts';

export class WatchSession<T extends KubeObject> {
  readonly options: WatchOptions<T>;
  #end!: () => void;
  #fail!: (err: unknown) => void;
  readonly done: Promise<void>;
  #open = true;

  constructor(options: WatchOptions<T>) {
    this.options = options;
    this.done = new Promise<void>((resolve, reject) => {
      this.#end = resolve;
      this.#fail = reject;
    });
    // An aborted request rejects, as the client's stream does.
    options.signal.addEventListener('abort', () => this.fail(new ApiError(0, 'Aborted', 'watch aborted')), { once: true });
  }

  get open(): boolean {
    return this.#open;
  }

  send(type: WatchEvent<T>['type'], object: T): void {
    if (!this.#open) throw new Error('send on a closed watch');
    this.options.onData?.();
    try {
      this.options.onEvent({ type, object });
    } catch (err) {
      // What the client's stream does with an event its reader refuses (an ERROR event).
      this.fail(err);
    }
  }

  /** A chunk with no event (a keep-alive): feeds the watchdog only. */
  heartbeat(): void {
    this.options.onData?.();
  }

  /** The server ends the watch normally (its timeout). */
  end(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#end();
  }

  /** The stream breaks. */
  fail(err: unknown): void {
    if (!this.#open) return;
    this.#open = false;
    this.#fail(err);
  }
}

export class ScriptedSource<T extends KubeObject> implements ListerWatcher<T> {
  readonly listCalls: ListOptions[] = [];
  readonly watches: WatchSession<T>[] = [];
  readonly #answers: Array<ObjectList<T> | Error> = [];
  readonly #listWaiters: Array<() => void> = [];
  readonly #watchWaiters: Array<(s: WatchSession<T>) => void> = [];

  /** The next list call answers with these items at `resourceVersion` (or fails with `err`). */
  answerList(items: T[], resourceVersion: string): this {
    this.#answers.push({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion }, items: items.map((i) => structuredClone(i)) });
    this.#listWaiters.shift()?.();
    return this;
  }

  failList(err: Error): this {
    this.#answers.push(err);
    this.#listWaiters.shift()?.();
    return this;
  }

  async list(options: ListOptions): Promise<ObjectList<T>> {
    this.listCalls.push(options);
    while (this.#answers.length === 0) await new Promise<void>((r) => this.#listWaiters.push(r));
    const answer = this.#answers.shift()!;
    if (answer instanceof Error) throw answer;
    return answer;
  }

  watch(options: WatchOptions<T>): Promise<void> {
    const session = new WatchSession(options);
    this.watches.push(session);
    this.#watchWaiters.shift()?.(session);
    return session.done;
  }

  /** The newest watch session. */
  get current(): WatchSession<T> | undefined {
    return this.watches.at(-1);
  }

  /** Resolves with the watch session number `n` (0-based) once it is opened. */
  async watchNumber(n: number): Promise<WatchSession<T>> {
    while (this.watches.length <= n) await new Promise<WatchSession<T>>((r) => this.#watchWaiters.push(r));
    return this.watches[n]!;
  }
}

/** Lets promise callbacks and immediate callbacks run (the informer's loop between steps). */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}
