import { CommandTimeoutError, SandboxError } from './errors.ts';
import type { SandboxAddress, SandboxTransport } from './data/connection.ts';
import { readServerSentEvents } from './data/server-sent-events.ts';

export interface RunOptions {
  /** How long the command may run before it is killed with its processes (default 60 s). */
  timeoutMs?: number;
  /** Written to the command's standard input. */
  stdin?: string;
  /** Added to the sandbox's environment for this command. */
  env?: Record<string, string>;
  /** Working directory, relative to the sandbox's workspace. */
  cwd?: string;
  signal?: AbortSignal;
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export type OutputEvent = { type: 'stdout' | 'stderr'; data: string } | { type: 'exit'; exitCode: number };

export interface FileEntry {
  name: string;
  size: number;
  type: 'file' | 'directory';
  modTime: Date;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** Seconds the runtime gets, and a little more for the router and the client, so the runtime's own timeout fires first. */
function budgets(timeoutMs: number): { serverSeconds: number; routerSeconds: number; clientMs: number } {
  const serverSeconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  return { serverSeconds, routerSeconds: serverSeconds + 5, clientMs: (serverSeconds + 10) * 1000 };
}

function combine(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

/** Turns the client-side deadline into a command timeout; the caller's own abort stays an AbortError. */
function rethrow(err: unknown, signal: AbortSignal | undefined, what: string): never {
  if (signal?.aborted) throw signal.reason;
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) throw new CommandTimeoutError(`${what}: no answer in time`);
  throw err;
}

/** A claimed sandbox: run commands in it and move files to and from its workspace. */
export class Sandbox {
  readonly claimName: string;
  readonly sandboxName: string;
  readonly namespace: string;
  readonly podIPs: readonly string[];
  readonly files: SandboxFiles;
  readonly #transport: SandboxTransport;
  readonly #terminate: () => Promise<void>;
  #terminated = false;

  constructor(claimName: string, address: SandboxAddress, transport: SandboxTransport, terminate: () => Promise<void>) {
    this.claimName = claimName;
    this.sandboxName = address.sandboxName;
    this.namespace = address.namespace;
    this.podIPs = address.podIPs;
    this.#transport = transport;
    this.#terminate = terminate;
    this.files = new SandboxFiles(transport);
  }

  /**
   * Runs `command` (split shell-style, no shell: use `sh -c '…'` for pipes) in the workspace and
   * resolves once it has ended. Throws CommandTimeoutError when it was killed at its timeout.
   */
  async run(command: string, options: RunOptions = {}): Promise<CommandResult> {
    const { serverSeconds, routerSeconds, clientMs } = budgets(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    let res: Response;
    let body: { stdout: string; stderr: string; exit_code: number; timed_out?: boolean };
    try {
      res = await this.#transport.call('/execute', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ command, timeout: serverSeconds, stdin: options.stdin, env: options.env, cwd: options.cwd }),
        signal: combine(options.signal, clientMs),
        routerTimeoutSeconds: routerSeconds,
      });
      body = (await res.json()) as typeof body;
    } catch (err) {
      rethrow(err, options.signal, `command "${command}"`);
    }
    if (body.timed_out) throw new CommandTimeoutError(`command "${command}" was killed after ${serverSeconds} s`, body.stdout, body.stderr);
    return { stdout: body.stdout, stderr: body.stderr, exitCode: body.exit_code };
  }

  /**
   * Runs `command` and yields its output as it comes (`stdout` / `stderr` events), then one
   * `exit` event. Breaking out of the loop (or aborting) stops the command.
   */
  async *stream(command: string, options: RunOptions = {}): AsyncGenerator<OutputEvent> {
    const { serverSeconds, routerSeconds, clientMs } = budgets(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const stop = new AbortController();
    const signal = AbortSignal.any([combine(options.signal, clientMs), stop.signal]);
    try {
      const res = await this.#transport.call('/execute/stream', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ command, timeout: serverSeconds, stdin: options.stdin, env: options.env, cwd: options.cwd }),
        signal,
        routerTimeoutSeconds: routerSeconds,
      });
      if (!res.body) throw new SandboxError('the runtime sent no event stream');
      const out = { stdout: '', stderr: '' };
      for await (const event of readServerSentEvents(res.body)) {
        const data = JSON.parse(event.data) as { data?: string; exit_code?: number; timed_out?: boolean };
        if (event.event === 'stdout' || event.event === 'stderr') {
          const text = data.data ?? '';
          // Kept only to hand over with a timeout error, bounded like the runtime's own capture.
          if (out[event.event].length < 1 << 20) out[event.event] += text;
          yield { type: event.event, data: text };
        } else if (event.event === 'exit') {
          if (data.timed_out) throw new CommandTimeoutError(`command "${command}" was killed after ${serverSeconds} s`, out.stdout, out.stderr);
          yield { type: 'exit', exitCode: data.exit_code ?? -1 };
          return;
        }
      }
      throw new SandboxError(`command "${command}": the event stream ended without an exit event`);
    } catch (err) {
      if (err instanceof CommandTimeoutError || err instanceof SandboxError) throw err;
      rethrow(err, options.signal, `command "${command}"`);
    } finally {
      stop.abort(); // the consumer left early: the runtime kills the command when the stream closes
    }
  }

  /** Deletes the claim: the Sandbox and its Pod go with it. Safe to call twice. */
  async terminate(): Promise<void> {
    if (this.#terminated) return;
    this.#terminated = true;
    await this.#terminate();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.terminate();
  }
}

/** The sandbox's workspace: paths are relative to it (the runtime refuses any that leaves it). */
export class SandboxFiles {
  readonly #transport: SandboxTransport;

  constructor(transport: SandboxTransport) {
    this.#transport = transport;
  }

  /** Writes `data` to `path` (folders are created as needed), replacing what was there. */
  async write(path: string, data: string | Uint8Array | Blob, options: { signal?: AbortSignal } = {}): Promise<void> {
    const blob = data instanceof Blob ? data : new Blob([typeof data === 'string' ? data : new Uint8Array(data)]);
    const form = new FormData();
    form.append('file', blob, path);
    await this.#transport.call('/upload', { method: 'POST', body: form, signal: options.signal });
  }

  /** The bytes of the file at `path`. */
  async read(path: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const res = await this.#transport.call(`/download/${encodeURIComponent(path)}`, { signal: options.signal });
    return new Uint8Array(await res.arrayBuffer());
  }

  /** The file at `path` as UTF-8 text. */
  async readText(path: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    return new TextDecoder().decode(await this.read(path, options));
  }

  async list(path = '', options: { signal?: AbortSignal } = {}): Promise<FileEntry[]> {
    const res = await this.#transport.call(`/list/${encodeURIComponent(path)}`, { signal: options.signal });
    const entries = (await res.json()) as Array<{ name: string; size: number; type: 'file' | 'directory'; mod_time: number }>;
    return entries.map((e) => ({ name: e.name, size: e.size, type: e.type, modTime: new Date(e.mod_time * 1000) }));
  }

  async exists(path: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const res = await this.#transport.call(`/exists/${encodeURIComponent(path)}`, { signal: options.signal });
    return ((await res.json()) as { exists: boolean }).exists;
  }
}
