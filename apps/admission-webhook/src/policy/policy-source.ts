/**
 * The policy in force: the flags' policy, overlaid by the policy file when one is given. The
 * file is re-read when it changes; a file that does not parse keeps the previous policy (and
 * says why in the log and the reload metric) rather than leaving the cluster unguarded.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from '@agent-sandbox/telemetry';
import { FileWatch } from '../util/file-watch.ts';
import type { Policy } from './policy.ts';

export interface PolicySourceOptions {
  base: Policy;
  /** '' for flags only. */
  file: string;
  intervalMs: number;
  log: Logger;
  onReload?: (result: 'success' | 'failure') => void;
}

export class PolicySource {
  readonly #options: PolicySourceOptions;
  #policy: Policy;
  #watch: FileWatch | undefined;

  constructor(options: PolicySourceOptions) {
    this.#options = options;
    this.#policy = options.base;
  }

  current(): Policy {
    return this.#policy;
  }

  /** Reads the file (a bad file fails the start: better no webhook than a wrong one). */
  async start(): Promise<void> {
    const { file, base, intervalMs, log } = this.#options;
    if (!file) return;
    // The YAML parser is loaded only when there is a file to parse.
    const { overlayPolicyFile } = await import('./policy-file.ts');
    const text = await readFile(file);
    this.#policy = overlayPolicyFile(base, text.toString('utf8'), file);
    this.#watch = new FileWatch(
      {
        files: [file],
        intervalMs,
        onChange: ([content]) => {
          try {
            this.#policy = overlayPolicyFile(base, content!.toString('utf8'), file);
            log.info({ file }, 'policy reloaded');
            this.#options.onReload?.('success');
          } catch (err) {
            log.error({ file, reason: (err as Error).message }, 'policy file not applied; the previous policy stays');
            this.#options.onReload?.('failure');
          }
        },
        onError: (err) => log.warn({ file, reason: err.message }, 'policy file could not be read; the previous policy stays'),
      },
      [text],
    );
    this.#watch.start();
  }

  /** Re-reads the file now (tests; also what the watch does on its own). */
  async check(): Promise<void> {
    await this.#watch?.check();
  }

  close(): void {
    this.#watch?.close();
  }
}
