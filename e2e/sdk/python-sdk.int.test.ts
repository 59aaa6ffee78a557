import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, inject, it } from 'vitest';

/*
 * The Python SDK's pytest suite, run through its Nx target (`nx run python-sdk:pytest`) with the
 * system Python and its Debian packages, against this run's cluster: its environment script
 * (e2e/sdk/python-env.ts) takes the cluster from KUBECONFIG instead of starting one.
 */
const ROOT = join(import.meta.dirname, '..', '..');

it('passes its pytest suite against the real API server, router and runtime', async () => {
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'nx'), ['run', 'python-sdk:pytest', '--output-style=stream', '--skip-nx-cache'], {
    cwd: ROOT,
    env: { ...process.env, KUBECONFIG: inject('kubeconfig'), PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c));
  child.stderr.on('data', (c: Buffer) => (output += c));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  output = output.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
  expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
  // Every test ran: none skipped, none deselected.
  expect(output).toMatch(/\b\d+ passed\b/);
  expect(output).not.toMatch(/skipped|deselected|xfail/);
}, 300_000);
