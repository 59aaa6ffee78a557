/**
 * A program whose trace collector is unreachable keeps working: its spans are dropped, it says
 * so once (one warning, not one per batch), it never crashes, and its memory stays bounded (the
 * batch processor's queue is bounded) over 10,000 reconciles. The collector is a loopback port
 * with nothing listening, so every export fails at once.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '@agent-sandbox/controlplane';
import { Kinds } from '@agent-sandbox/runtime';
import { claim, ClaimKind, pool, PoolKind, readyOf, suite, template, TemplateKind, waitUntil, type Obj, type Suite } from '../claims/harness.ts';
import { consistently, ROOT, type ProgramProcess } from '../support/programs.ts';

let s: Suite;
let deadEndpoint: string;
let claims: ProgramProcess;

beforeAll(async () => {
  s = await suite('bad-otlp');
  deadEndpoint = `http://127.0.0.1:${await freePort()}`;
  const env = { env: unreachable() };
  [claims] = await Promise.all([s.start('claim-controller', [], env), s.start('sandbox-controller', [], env), s.start('warmpool-orchestrator', [], env)]);
}, 400_000);
afterAll(async () => s?.teardown(), 120_000);

// A short export timeout: the exporter's retries of a refused connection end within 2 s.
const unreachable = () => ({ OTEL_EXPORTER_OTLP_ENDPOINT: deadEndpoint, OTEL_TRACES_EXPORTER: 'otlp', OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_EXPORTER_OTLP_TIMEOUT: '2000' });
const exportWarnings = (lines: Array<Record<string, unknown>>) => lines.filter((l) => l.level === 'warn' && String(l.msg).startsWith('cannot export traces'));

describe('a program with an unreachable OTLP endpoint', () => {
  it('binds claims as usual and warns once', async () => {
    const ns = s.ns.name;
    await s.admin.create(TemplateKind, template(ns, 't'));
    await s.admin.create(PoolKind, pool(ns, 'p', 't', 2));
    for (const name of ['c1', 'c2', 'c3']) {
      await s.admin.create(ClaimKind, claim(ns, name, 'p'));
      await waitUntil(`claim ${name} Ready`, async () => readyOf(await s.admin.get<Obj>(ClaimKind, { namespace: ns, name }))?.status === 'True', 60_000);
    }
    await waitUntil('the export warning', () => exportWarnings(claims.lines).length > 0, 30_000);
    // Batches keep failing every 100 ms; still one warning, and the program is alive.
    await consistently('one export warning and the program running', () => exportWarnings(claims.lines).length === 1 && claims.child!.exitCode === null, 5_000);
    expect(exportWarnings(claims.lines)[0]).toMatchObject({ endpoint: deadEndpoint });
  }, 300_000);

  it('stays bounded in memory over 10,000 reconciles, with one warning', async () => {
    const ns = s.ns.name;
    await s.admin.create(Kinds.ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'soak', namespace: ns }, data: { a: '1' } });
    const child = spawn(
      join(ROOT, 'node_modules', '.bin', 'node'),
      ['--expose-gc', join(ROOT, 'e2e', 'tracing', 'soak.ts'), `--kubeconfig=${inject('kubeconfig')}`, `--namespace=${ns}`, '--name=soak', '--reconciles=10000', '--every=1000'],
      { cwd: ROOT, env: { ...process.env, ...unreachable() }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    const lines: Array<Record<string, unknown>> = [];
    createInterface({ input: child.stdout }).on('line', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    console.log(`soak: 10,000 reconciles in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    expect(code, stderr).toBe(0);
    expect(lines.at(-1)).toMatchObject({ done: true, reconciles: 10_000 });
    expect(exportWarnings(lines)).toHaveLength(1);
    const heaps = lines.filter((l) => typeof l.heapUsed === 'number').map((l) => ({ at: l.reconciles as number, heap: l.heapUsed as number }));
    expect(heaps).toHaveLength(10);
    // Every failed batch is dropped (the batch processor's queue, 2,048 spans, bounds what waits
    // meanwhile): from 2,000 reconciles on the heap must not grow with the work done. A program
    // that kept failed spans would grow by ~1 KiB a reconcile (2 spans), 8 MiB over the last 8,000.
    const settled = heaps.find((h) => h.at === 2_000)!.heap;
    const last = heaps.at(-1)!.heap;
    console.log(JSON.stringify({ heapMiB: heaps.map((h) => ({ at: h.at, MiB: Math.round((h.heap / 2 ** 20) * 10) / 10 })) }));
    // 4 MiB over 8,000 reconciles: a leak of ~500 bytes a reconcile would show (GC noise here is ~1 MiB).
    expect(last - settled).toBeLessThan(4 * 2 ** 20);
  }, 560_000);
});
