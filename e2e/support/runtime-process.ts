/**
 * Test support: the runtime as a real process on loopback, as a non-root user of its own with
 * a bounded number of processes (a fork bomb under test must not hurt the machine).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(import.meta.dirname, '..', '..');
export const NODE = join(ROOT, 'node_modules', '.bin', 'node');
export const RUNTIME_SOURCE = join(ROOT, 'apps', 'sandbox-runtime', 'src', 'main.ts');

export interface RuntimeProcess {
  url: string;
  port: number;
  baseDir: string;
  uid: number;
  child: ChildProcess;
  lines: Array<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

export interface StartOptions {
  args?: string[];
  env?: Record<string, string>;
  /** Most processes the runtime's user may have at once (RLIMIT_NPROC). */
  maxProcesses?: number;
  /** Run as root (to see the refusal). */
  asRoot?: boolean;
  /** Where to listen (default loopback). */
  host?: string;
}

const live = new Set<ChildProcess>();
const users = new Set<number>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
  for (const uid of users) for (const pid of processesOf(uid)) killQuietly(pid);
});

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

/**
 * Whatever the runtime's user still runs (a test that failed may leave a command's processes
 * behind): the user is this test's alone, so all of it goes.
 */
async function killEverythingOf(uid: number): Promise<void> {
  for (let round = 0; round < 200; round++) {
    const pids = processesOf(uid);
    if (pids.length === 0) return;
    for (const pid of pids) killQuietly(pid);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A uid no one else on the machine uses, so RLIMIT_NPROC and /proc scans see only this test's processes. */
export function freshUid(): number {
  return 3_000_000 + randomInt(1_000_000);
}

export async function startRuntime(options: StartOptions = {}): Promise<RuntimeProcess> {
  const uid = options.asRoot ? 0 : freshUid();
  const baseDir = mkdtempSync(join(tmpdir(), 'sandbox-runtime-base-'));
  if (uid) {
    chownSync(baseDir, uid, uid);
    users.add(uid);
  }
  const args = [
    `--nproc=${options.maxProcesses ?? 256}`,
    '--',
    NODE,
    RUNTIME_SOURCE,
    `--listen-host=${options.host ?? '127.0.0.1'}`,
    '--port=0',
    `--sandbox-base-dir=${baseDir}`,
    ...(options.args ?? []),
  ];
  const child = spawn('prlimit', args, {
    ...(uid ? { uid, gid: uid } : {}),
    cwd: baseDir,
    // The PATH of a container image: the developer's PATH may name folders this user cannot read.
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: baseDir, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => (live.delete(child), resolve(code))));
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        record = { msg: line };
      }
      lines.push(record);
      if (record.msg === 'serving the runtime API') resolve(record.port as number);
    });
    void exited.then((code) => reject(Object.assign(new Error(`sandbox-runtime exited (${code}): ${stderr}${lines.map((l) => JSON.stringify(l)).join('\n')}`), { code, lines })));
  });
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    baseDir,
    uid,
    child,
    lines,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      if (uid) await killEverythingOf(uid);
      rmSync(baseDir, { recursive: true, force: true });
      return code;
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json<T = unknown>(): T;
}

/**
 * One request with the path sent exactly as given (fetch would resolve `..` and re-encode
 * before sending, hiding what the server does with them).
 */
export function rawRequest(base: string, method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: { ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, json: <T>() => JSON.parse(buf.toString('utf8')) as T });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    // With `Expect: 100-continue` the body goes only once the server asks for it: a refusal
    // (413) comes before it is sent, and no write races the server closing the connection.
    if (headers.expect === '100-continue') {
      req.flushHeaders();
      req.once('continue', () => req.end(body));
    } else req.end(body);
  });
}

export function execute(base: string, body: Record<string, unknown>): Promise<RawResponse> {
  return rawRequest(base, 'POST', '/execute', JSON.stringify(body), { 'content-type': 'application/json' });
}

/** A multipart body with one `file` part. */
export function multipart(filename: string, content: Buffer, boundary = `----test${randomInt(1e9)}`): { body: Buffer; contentType: string } {
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, content, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Live (not zombie) pids owned by `uid`. */
export function processesOf(uid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const realUid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
      const state = /^State:\s+(\S)/m.exec(status)?.[1];
      if (realUid === uid && state !== 'Z') pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Every path under `dir`, relative, sorted. */
export function tree(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    out.push(rel);
    if (entry.isDirectory()) out.push(...tree(dir, rel));
  }
  return out.sort();
}

/** Live (not zombie) pids whose process group is `pgid`. */
export function processesInGroup(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields follow the command name's closing parenthesis: state, ppid, pgrp, …
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * An address of this machine that is not loopback: a stand-in for a Pod IP. The router refuses
 * loopback targets, so a test upstream listens here and a test Pod reports this as its IP; the
 * router then routes as in production, through its own rules, with nothing injected.
 */
export function hostAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('169.254.')) return a.address;
  }
  throw new Error('this machine has no non-loopback IPv4 address to stand in for a Pod IP');
}
