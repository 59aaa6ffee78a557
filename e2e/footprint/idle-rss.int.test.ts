/**
 * Each program's resident memory once it is ready and idle stays within its goal: 64 MB, with
 * 20% tolerance for the machine and Node's own variation. Programs run as the harness runs them
 * (their ServiceAccount and shipped RBAC, one watched namespace), from their bundles with the
 * images' node flags, as a container runs them. The figures with thousands of objects are the
 * benchmark's (tools/bench/footprint.ts); this guards against a regression such as a library
 * loaded whole again.
 */
import { rmSync } from 'node:fs';
import { cpuMs, residentBytes } from '@agent-sandbox/controlplane';
import { servingCertificateDir } from '@agent-sandbox/pki';
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

const rssMB = (pid: number) => residentBytes(pid).rss / 1048576;

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
          await startProgram('admission-webhook', ['--health-probe-bind-address=127.0.0.1:0', '--bind-address=127.0.0.1:0', '--patch-ca-bundle=false', `--tls-cert-dir=${(certDir = (await servingCertificateDir(['127.0.0.1', 'localhost'])).dir)}`], { bundle: true }),
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
