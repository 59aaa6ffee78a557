import { HttpError } from '../http/respond.ts';

/** A command to run, as `/execute` and `/execute/stream` take it. */
export interface ExecRequest {
  command: string;
  /** [ext] Written to the command's standard input, which is then closed. */
  stdin?: string;
  /** [ext] Added to (or replacing) the runtime's environment. */
  env?: Record<string, string>;
  /** [ext] Working directory, relative to the base directory (default: the base directory). */
  cwd?: string;
  /** [ext] Seconds before the command's process group is killed; at most the runtime's limit. */
  timeoutSeconds: number;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks a request body field by field; a bad one is a 400 naming the field and the rule.
 * `timeout` defaults to, and may not exceed, the runtime's limit.
 */
export function parseExecRequest(body: unknown, maxTimeoutSeconds: number): ExecRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'request body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.command !== 'string') throw new HttpError(400, 'command: required, a string');
  const req: ExecRequest = { command: b.command, timeoutSeconds: maxTimeoutSeconds };
  if (b.stdin !== undefined && b.stdin !== null) {
    if (typeof b.stdin !== 'string') throw new HttpError(400, 'stdin: must be a string');
    req.stdin = b.stdin;
  }
  if (b.env !== undefined && b.env !== null) {
    if (typeof b.env !== 'object' || Array.isArray(b.env)) throw new HttpError(400, 'env: must be an object of names to string values');
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(b.env as Record<string, unknown>)) {
      if (!ENV_NAME.test(name)) throw new HttpError(400, `env: "${name}" is not a valid variable name (letters, digits, _; not starting with a digit)`);
      if (typeof value !== 'string') throw new HttpError(400, `env.${name}: must be a string`);
      if (value.includes('\0')) throw new HttpError(400, `env.${name}: must not hold a NUL byte`);
      env[name] = value;
    }
    req.env = env;
  }
  if (b.cwd !== undefined && b.cwd !== null) {
    if (typeof b.cwd !== 'string') throw new HttpError(400, 'cwd: must be a string');
    req.cwd = b.cwd;
  }
  if (b.timeout !== undefined && b.timeout !== null) {
    const t = b.timeout;
    if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) throw new HttpError(400, 'timeout: must be a number of seconds greater than 0');
    if (t > maxTimeoutSeconds) throw new HttpError(400, `timeout: must be at most ${maxTimeoutSeconds} seconds (the runtime's limit)`);
    req.timeoutSeconds = t;
  }
  return req;
}
