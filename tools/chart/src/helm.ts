/** Running the pinned helm (tests, golden files, `npm run helm`). */
import { spawn } from 'node:child_process';
import { ensureHelm } from './helm-binary.ts';

export interface HelmResult {
  code: number;
  stdout: string;
  /** stderr without helm's notice that a subchart's library chart is a symbolic link. */
  stderr: string;
}

/** Each subchart links the library chart (one copy in git); helm says so on every load. */
const SYMLINK_NOTICE = /^level=INFO msg="found symbolic link in path.*\n?/gm;

export async function helm(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<HelmResult> {
  const { helm: binary } = await ensureHelm((line) => console.error(line));
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr: stderr.replace(SYMLINK_NOTICE, '') }));
  });
}

/** `helm …`, failing with helm's own message when it exits non-zero. */
export async function helmOk(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const r = await helm(args, options);
  if (r.code !== 0) throw new Error(`helm ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}`);
  return r.stdout;
}
