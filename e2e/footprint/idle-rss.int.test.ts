/**
 * Each program's resident memory once it is ready and idle stays within its goal: 64 MB, with
 * 20% tolerance for the machine and Node's own variation. Programs run as the harness runs them
 * (their ServiceAccount and shipped RBAC, one watched namespace), from their bundles with the
 * images' node flags, as a container runs them. The figures with thousands of objects are the
 * benchmark's (tools/bench/footprint.ts); this guards against a regression such as a library
 * loaded whole again.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCertificateAuthority } from '@agent-sandbox/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { programSuite, startProgram, type Program, type ProgramProcess, type ProgramSuite } from '../support/programs.ts';

const GOAL_MB = 64;
const TOLERANCE = 1.2;
const PROGRAMS: Array<{ program: Program; args: string[] }> = [
  { program: 'sandbox-controller', args: [] },
  { program: 'claim-controller', args: [] },
  { program: 'warmpool-orchestrator', args: [] },
  { program: 'ttl-reaper', args: [] },
  { program: 'sandbox-router', args: ['--bind-address=127.0.0.1:0'] },
];

/** Resident set of a process in MB, from /proc. */
function rssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) / 1024;
}

/** CPU time of a process in ms (utime + stime, 10 ms ticks). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** A directory holding tls.crt and tls.key for 127.0.0.1, as a mounted Secret would. */
async function servingCertificateDir(): Promise<string> {
  const ca = await createCertificateAuthority('idle-footprint-ca', 1);
  const leaf = await ca.issue({ commonName: 'admission-webhook', ipAddresses: ['127.0.0.1'], dnsNames: ['localhost'], usage: 'server', validDays: 1 });
  certDir = mkdtempSync(join(tmpdir(), 'idle-footprint-tls-'));
  writeFileSync(join(certDir, 'tls.crt'), leaf.certPem);
  writeFileSync(join(certDir, 'tls.key'), leaf.keyPem, { mode: 0o600 });
  return certDir;
}
let certDir: string | undefined;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ready (/readyz 200), then at least `settleMs` more, then under 2% of a core for 2 s (bounded). */
async function readyAndIdle(p: ProgramProcess, settleMs = 3_000, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fetch(`http://127.0.0.1:${p.healthPort}/readyz`).then((r) => r.ok, () => false))) {
    if (Date.now() > deadline) throw new Error(`${p.program} not ready within ${timeoutMs} ms`);
    await sleep(100);
  }
  await sleep(settleMs);
  const pid = p.child!.pid!;
  for (;;) {
    const before = cpuMs(pid);
    await sleep(2_000);
    if (cpuMs(pid) - before < 40) return;
    if (Date.now() > deadline) throw new Error(`${p.program} never idle within ${timeoutMs} ms`);
  }
}

describe('idle footprint', () => {
  let suite: ProgramSuite;
  const running = new Map<Program, ProgramProcess>();

  beforeAll(async () => {
    suite = await programSuite('footprint');
    await Promise.all([
      ...PROGRAMS.map(async ({ program, args }) => running.set(program, await suite.start(program, args, { bundle: true }))),
      // The webhook watches nothing (the harness's --watch-namespace is not its flag): it
      // starts alone, and with no caBundle to patch it makes no API request. As the chart runs
      // it: its serving certificate mounted (so the X.509 library is never loaded).
      (async () =>
        running.set(
          'admission-webhook',
          await startProgram('admission-webhook', ['--health-probe-bind-address=127.0.0.1:0', '--bind-address=127.0.0.1:0', '--patch-ca-bundle=false', `--tls-cert-dir=${await servingCertificateDir()}`], { bundle: true }),
        ))(),
    ]);
  });
  afterAll(async () => {
    await running.get('admission-webhook')?.stop();
    await suite?.teardown();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  it.each([...PROGRAMS.map((p) => p.program), 'admission-webhook' as const])(`%s stays under ${GOAL_MB} MB resident (+${Math.round((TOLERANCE - 1) * 100)}%) when ready and idle`, async (program) => {
    const p = running.get(program)!;
    await readyAndIdle(p);
    const rss = rssMB(p.child!.pid!);
    expect(rss, `${program}: ${rss.toFixed(1)} MB resident`).toBeLessThanOrEqual(GOAL_MB * TOLERANCE);
  });
});
