import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@agent-sandbox/telemetry';
import type { RuntimeConfig } from '../config.ts';
import { AccessDenied, confine } from '../files/confine.ts';
import { HttpError, readJson, sendJson } from '../http/respond.ts';
import { BoundedOutput } from './bounded-output.ts';
import { parseExecRequest, type ExecRequest } from './exec-request.ts';
import { runCommand, type RunResult } from './run-command.ts';

/** Commands running now, bounded by the configuration. */
export class CommandSlots {
  #running = 0;
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get running(): number {
    return this.#running;
  }

  /** Takes a slot or refuses with 429; call the returned function once the command is over. */
  take(): () => void {
    if (this.#running >= this.#max) {
      throw new HttpError(429, `too many commands running (at most ${this.#max} at once)`, { 'retry-after': '1' });
    }
    this.#running++;
    let released = false;
    return () => {
      if (!released) this.#running--;
      released = true;
    };
  }
}

export interface ExecDeps {
  config: RuntimeConfig;
  slots: CommandSlots;
  log: Logger;
}

async function prepare(req: IncomingMessage, deps: ExecDeps): Promise<{ request: ExecRequest; cwd: string }> {
  const request = parseExecRequest(await readJson(req, deps.config.maxRequestBytes), deps.config.execTimeoutSeconds);
  let cwd = deps.config.baseDir;
  if (request.cwd !== undefined) {
    try {
      cwd = await confine(deps.config.baseDir, request.cwd);
    } catch (err) {
      if (err instanceof AccessDenied) throw new HttpError(403, 'Access denied');
      throw err;
    }
    const info = await stat(cwd).catch(() => undefined);
    if (!info?.isDirectory()) throw new HttpError(400, `cwd: "${request.cwd}" is not a directory`);
  }
  return { request, cwd };
}

function environment(request: ExecRequest): Record<string, string | undefined> {
  return { ...process.env, ...request.env };
}

/** Aborted when the client goes away before the answer is complete. */
function clientGone(res: ServerResponse): AbortSignal {
  const abort = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  return abort.signal;
}

function logResult(log: Logger, result: RunResult, startedAt: number): void {
  // The command line itself is not logged: it may carry secrets the agent passed.
  log.info(
    { exitCode: result.exitCode, timedOut: result.timedOut, durationMs: Date.now() - startedAt, ...(result.startError ? { startError: result.startError } : {}) },
    'command finished',
  );
}

/**
 * `POST /execute`: runs the command and answers once it is over with
 * `{stdout, stderr, exit_code}` (each output bounded, with a marker when cut), plus [ext]
 * `timed_out` and `stdout_truncated` / `stderr_truncated`.
 */
export async function handleExecute(req: IncomingMessage, res: ServerResponse, deps: ExecDeps): Promise<void> {
  const { request, cwd } = await prepare(req, deps);
  const release = deps.slots.take();
  const startedAt = Date.now();
  try {
    const stdout = new BoundedOutput(deps.config.maxOutputBytes);
    const stderr = new BoundedOutput(deps.config.maxOutputBytes);
    const { done } = runCommand({
      command: request.command,
      cwd,
      env: environment(request),
      stdin: request.stdin,
      timeoutMs: request.timeoutSeconds * 1000,
      signal: clientGone(res),
      onStdout: (c) => stdout.push(c),
      onStderr: (c) => stderr.push(c),
    });
    const result = await done;
    logResult(deps.log, result, startedAt);
    let errText = stderr.text();
    if (result.startError) errText += result.startError;
    if (result.timedOut) errText += `${errText && !errText.endsWith('\n') ? '\n' : ''}[command timed out after ${request.timeoutSeconds} s: its process group was killed]\n`;
    if (res.destroyed) return;
    sendJson(res, 200, {
      stdout: stdout.text(),
      stderr: errText,
      exit_code: result.exitCode,
      timed_out: result.timedOut,
      stdout_truncated: stdout.truncated,
      stderr_truncated: stderr.truncated,
    });
  } finally {
    release();
  }
}

/**
 * `POST /execute/stream` [ext]: the same request, answered as Server-Sent Events while the
 * command runs: `stdout` and `stderr` events (`{"data": "<text>"}`) as output comes, then one
 * `exit` event (`{"exit_code", "timed_out"}`). The command's output is read only as fast as the
 * client takes it, so nothing accumulates in the runtime.
 */
export async function handleExecuteStream(req: IncomingMessage, res: ServerResponse, deps: ExecDeps): Promise<void> {
  const { request, cwd } = await prepare(req, deps);
  const release = deps.slots.take();
  const startedAt = Date.now();
  try {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // Proxies such as nginx would otherwise hold events back.
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    const decoders = { stdout: new TextDecoder('utf-8'), stderr: new TextDecoder('utf-8') };
    let paused = false;
    const send = (event: string, data: unknown) => {
      if (res.destroyed) return;
      // Output arrives only after runCommand has returned, so `run` is set by then.
      if (!res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`) && !paused) {
        paused = true;
        run.output.pause();
        res.once('drain', () => {
          paused = false;
          run.output.resume();
        });
      }
    };
    const emit = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const text = decoders[stream].decode(chunk, { stream: true });
      if (text) send(stream, { data: text });
    };
    const run = runCommand({
      command: request.command,
      cwd,
      env: environment(request),
      stdin: request.stdin,
      timeoutMs: request.timeoutSeconds * 1000,
      signal: clientGone(res),
      onStdout: emit('stdout'),
      onStderr: emit('stderr'),
    });
    const result = await run.done;
    logResult(deps.log, result, startedAt);
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = decoders[stream].decode();
      if (rest) send(stream, { data: rest });
    }
    if (result.startError) send('stderr', { data: result.startError });
    send('exit', { exit_code: result.exitCode, timed_out: result.timedOut });
    res.end();
  } finally {
    release();
  }
}
