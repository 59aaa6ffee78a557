import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestNamespace, type TestNamespace } from '@agent-sandbox/controlplane/testing';

/** The deployable programs that talk to the API server, run from their built bundles as a container would run them. */
const PROGRAMS = ['sandbox-controller', 'claim-controller', 'warmpool-orchestrator', 'ttl-reaper', 'admission-webhook', 'sandbox-router'];
const ROOT = join(import.meta.dirname, '..');

function entry(program: string): string {
  const file = join(ROOT, 'apps', program, 'dist', 'main.js');
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
  return file;
}

function runToEnd(program: string, args: string[], nodeArgs: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, entry(program), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let ns: TestNamespace;
beforeAll(async () => {
  ns = await createTestNamespace('programs');
});
afterAll(async () => ns?.remove());

/** What each program needs to start for real against the test cluster, confined to one namespace. */
function startArgs(program: string): string[] {
  const kubeconfig = `--kubeconfig=${inject('kubeconfig')}`;
  if (program === 'admission-webhook') return [kubeconfig, '--bind-address=127.0.0.1:0'];
  if (program === 'sandbox-router') return [kubeconfig, `--watch-namespace=${ns.name}`, '--bind-address=127.0.0.1:0'];
  return [kubeconfig, `--watch-namespace=${ns.name}`, `--leader-election-namespace=${ns.name}`];
}

describe.each(PROGRAMS)('%s', (program) => {
  it('prints --help with every flag and its environment variable, exit 0', async () => {
    const { code, stdout } = await runToEnd(program, ['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Usage: ${program} \\[flags\\]`));
    expect(stdout).toMatch(/--health-probe-bind-address string .*\[env HEALTH_PROBE_BIND_ADDRESS; default ":8081"\]/);
    expect(stdout).toMatch(/--log-level string .*\[env LOG_LEVEL; default "info"\]/);
  });

  // Each built-in costs resident memory in every replica; these two are needed only on paths the
  // programs never take (prom-client's Pushgateway, a failed assert in pino's streams).
  it('loads no built-in it may never use (zlib, assert) when its modules load', async () => {
    const listOnExit = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\nLOADED '+JSON.stringify(process.moduleLoadList)))`;
    const { code, stderr } = await runToEnd(program, ['--help'], [`--import=${listOnExit}`]);
    expect(code).toBe(0);
    const loaded = (JSON.parse(stderr.slice(stderr.lastIndexOf('LOADED ') + 7)) as string[]).filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));
    expect(loaded).toContain('http'); // the list is Node's own: it names what was loaded
    expect(loaded.filter((m) => ['zlib', 'assert'].includes(m))).toEqual([]);
  });

  it('refuses an unknown flag with exit 2 and a message naming it', async () => {
    const { code, stderr } = await runToEnd(program, ['--no-such-flag=1']);
    expect(code).toBe(2);
    expect(stderr).toBe(`${program}: unknown flag --no-such-flag (see --help)\n`);
  });

  it('logs JSON, serves /healthz, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [entry(program), '--health-probe-bind-address=127.0.0.1:0', ...startArgs(program)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: Record<string, unknown>[] = [];
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Ready for the test once it serves probes and has finished starting (the webhook, for
    // one, makes its certificates after the probes are up).
    const serving = new Promise<number>((resolve, reject) => {
      let port: number | undefined;
      createInterface({ input: child.stdout }).on('line', (line) => {
        const record = JSON.parse(line) as Record<string, unknown>; // every line must be JSON
        lines.push(record);
        if (record.msg === 'serving health probes') port = record.port as number;
        if (record.msg === 'started' && port !== undefined) resolve(port);
      });
      child.on('close', () => reject(new Error(`${program} exited before serving: ${JSON.stringify(lines)}`)));
    });
    const port = await serving;
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok\n');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lines.every((l) => l.program === program && typeof l.level === 'string' && typeof l.time === 'string')).toBe(true);
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['started', 'shutting down', 'stopped']));
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
