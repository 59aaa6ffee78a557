/**
 * Calls `onChange` when the content of some files changes. Mounted Secrets and ConfigMaps are
 * replaced by swapping a `..data` symlink, which file watchers report unreliably, so the
 * directory is watched (a hint) and the files are also re-read on an interval (the truth);
 * either way only a change of content counts.
 */
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface FileWatchOptions {
  files: readonly string[];
  intervalMs: number;
  /** Called with the files' contents when they differ from the last call (or the first read). */
  onChange: (contents: Buffer[]) => void;
  onError: (err: Error) => void;
}

export class FileWatch {
  readonly #options: FileWatchOptions;
  readonly #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #lastDigest = '';
  #checking: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: FileWatchOptions, initialDigestOf?: Buffer[]) {
    this.#options = options;
    if (initialDigestOf) this.#lastDigest = digest(initialDigestOf);
  }

  start(): void {
    for (const dir of new Set(this.#options.files.map((f) => dirname(f)))) {
      try {
        const watcher = watch(dir, { persistent: false }, () => this.#soon());
        watcher.on('error', () => undefined); // the interval still covers it
        this.#watchers.push(watcher);
      } catch {
        // No watch support here: the interval alone does the job.
      }
    }
    this.#timer = setInterval(() => void this.check(), this.#options.intervalMs);
    this.#timer.unref();
  }

  /** Reads the files now; resolves after `onChange` when they changed. */
  check(): Promise<void> {
    this.#checking = this.#checking.then(async () => {
      if (this.#closed) return;
      let contents: Buffer[];
      try {
        contents = await Promise.all(this.#options.files.map((f) => readFile(f)));
      } catch (err) {
        return this.#options.onError(err as Error);
      }
      const d = digest(contents);
      if (d === this.#lastDigest) return;
      this.#lastDigest = d;
      this.#options.onChange(contents);
    });
    return this.#checking;
  }

  /** Forgets the last content, so the next read counts as a change (after a failed apply). */
  forget(): void {
    this.#lastDigest = '';
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    clearTimeout(this.#debounce);
    for (const w of this.#watchers) w.close();
  }

  // Writers touch files several times in a row (key, then cert): wait for the burst to end.
  #soon(): void {
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.check(), 100);
    this.#debounce.unref();
  }
}

function digest(contents: readonly Buffer[]): string {
  const hash = createHash('sha256');
  for (const c of contents) hash.update(createHash('sha256').update(c).digest());
  return hash.digest('hex');
}
