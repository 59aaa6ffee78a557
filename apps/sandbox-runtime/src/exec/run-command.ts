import { spawn } from 'node:child_process';
import { CommandLineError, splitCommandLine } from './command-line.ts';
import { killProcessGroup } from './process-group.ts';

export interface RunOptions {
  command: string;
  cwd: string;
  env: Record<string, string | undefined>;
  stdin?: string;
  timeoutMs: number;
  /** Aborting kills the command's process group (the client went away). */
  signal?: AbortSignal;
  onStdout(chunk: Buffer): void;
  onStderr(chunk: Buffer): void;
}

export interface RunResult {
  exitCode: number;
  /** The command's process group was killed at its timeout. */
  timedOut: boolean;
  /** Why the command could not start (exit code 1), as the standard reports it in stderr. */
  startError?: string;
  /** The process group's id (the leader's pid); 0 when nothing started. */
  pgid: number;
}

export interface OutputControl {
  /** Stop reading the command's output until `resume` (the client reads slower than it prints). */
  pause(): void;
  resume(): void;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };

/**
 * Runs one command line without a shell, as the leader of a new process group. At the timeout
 * (or on abort) the whole group is killed, whatever it has forked. Resolves when the command's
 * output has ended and the leader has exited; the output arrives through the callbacks as it
 * comes. A command that cannot start resolves with exit code 1 and the reason.
 */
export function runCommand(options: RunOptions): { done: Promise<RunResult>; output: OutputControl } {
  const control: OutputControl = { pause: () => {}, resume: () => {} };
  let argv: string[];
  try {
    argv = splitCommandLine(options.command);
  } catch (err) {
    const reason = err instanceof CommandLineError ? `cannot parse the command: ${err.message}` : String(err);
    return { done: Promise.resolve({ exitCode: 1, timedOut: false, startError: reason, pgid: 0 }), output: control };
  }
  if (argv.length === 0) return { done: Promise.resolve({ exitCode: 1, timedOut: false, startError: 'empty command', pgid: 0 }), output: control };

  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  control.pause = () => {
    child.stdout?.pause();
    child.stderr?.pause();
  };
  control.resume = () => {
    child.stdout?.resume();
    child.stderr?.resume();
  };

  const done = new Promise<RunResult>((resolve) => {
    let timedOut = false;
    let settled = false;
    const pgid = child.pid ?? 0;
    const killGroup = () => (pgid ? killProcessGroup(pgid) : Promise.resolve(true));
    const timer = setTimeout(() => {
      timedOut = true;
      void killGroup();
    }, options.timeoutMs);
    const onAbort = () => void killGroup();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (result: RunResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };

    child.stdout!.on('data', options.onStdout);
    child.stderr!.on('data', options.onStderr);
    child.stdin!.on('error', () => {
      // The command exited without reading its input (EPIPE): not an error of the request.
    });
    child.stdin!.end(options.stdin ?? '');

    child.once('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      const reason =
        code === 'ENOENT' ? `command not found: ${argv[0]}` : code === 'EACCES' ? `permission denied: ${argv[0]}` : `cannot start ${argv[0]}: ${err.message}`;
      finish({ exitCode: 1, timedOut: false, startError: reason, pgid: 0 });
    });
    // 'close': the leader exited and every holder of its output pipes has closed them (children
    // it left in the background included, until the timeout kills them).
    child.once('close', (code, signal) => {
      const exitCode = code ?? 128 + (signal ? (SIGNALS[signal] ?? 0) : 0);
      if (timedOut) {
        // The group is being killed; wait until no member is left before answering.
        void killGroup().then(() => finish({ exitCode, timedOut, pgid }));
      } else finish({ exitCode, timedOut, pgid });
    });
  });
  if (options.signal?.aborted) void (child.pid && killProcessGroup(child.pid));
  return { done, output: control };
}
