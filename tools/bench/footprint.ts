/**
 * Benchmark: each program's footprint and start-up, started from its bundle as `npm start`
 * starts it (apps/<program>/dist/main.js, the node flags of the images (`--node-flags` to compare:
 * `--node-flags=` for none), leader election for the
 * controllers). For each count of Sandboxes (default 0 and 1,000) in a namespace the programs
 * watch, and each program in turn (alone, so they do not disturb each other):
 *
 *   readyMs   spawn → first 200 on /readyz (caches synced), `--starts` times (median and all);
 *   idle      after the last start, once the program has been ready `--idle-seconds` and used
 *             under 1% CPU for 3 s (or 60 s passed: idleAfterMs is then negative): RSS (VmRSS,
 *             and its anonymous and file-backed parts, from /proc/<pid>/status), and the JS heap
 *             (used and total) from its /metrics.
 *
 * `--compare-bundle=node_modules/.saved/main.js` (a saved build, relative to apps/<program>)
 * measures that build too, program by program in turn with the main one, so both see the same
 * load on a shared machine; each row says its variant and the load average.
 *
 * Before the programs are measured at a count, the sandbox-controller runs once until every
 * Sandbox has its Pod and Service (a converged cluster, as the others see it when idle).
 * Run `npm run build` first. Prints one JSON object.
 *
 *   node tools/bench/footprint.ts [--counts=0,1000,10000] [--programs=sandbox-controller,...] [--starts=3] [--idle-seconds=5]
 *                                 [--compare-bundle=… [--compare-node-flags=…] [--compare-env='K=V …']] [--env='K=V …']
 *
 * `--env` and `--compare-env` add environment variables to a variant's programs (e.g. glibc's
 * `MALLOC_ARENA_MAX`). NODE_EXTRA_CA_CERTS is never passed on: the images do not set it, and
 * with it Node parses that bundle of certificates at start (~1 MB resident).
 *
 * Uses the cluster named by KUBECONFIG, else starts a local control plane and removes it after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { installCrds } from '@agent-sandbox/api/crds';
import { ControlPlane, cpuMs, freePort, residentBytes } from '@agent-sandbox/controlplane';
import { KubeClient, Kinds, type KubeObject, type ResourceKind } from '@agent-sandbox/runtime';
import { PROGRAM_NODE_FLAGS } from '@agent-sandbox/images';
import { servingCertificateDir } from '@agent-sandbox/pki';
import { onInterrupt } from './src/interrupt.ts';
import { retryTooManyRequests } from './src/retry.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const PROGRAMS = ['sandbox-controller', 'claim-controller', 'warmpool-orchestrator', 'ttl-reaper', 'admission-webhook', 'sandbox-router'] as const;
type Program = (typeof PROGRAMS)[number];
const ELECTED = new Set<Program>(['sandbox-controller', 'claim-controller', 'warmpool-orchestrator', 'ttl-reaper']);
const SandboxKind: ResourceKind = { group: 'agents.x-k8s.io', version: 'v1beta1', kind: 'Sandbox', plural: 'sandboxes', namespaced: true };
const ServiceAccountKind: ResourceKind = { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true };

const { values } = parseArgs({
  options: {
    counts: { type: 'string', default: '0,1000' },
    programs: { type: 'string', default: PROGRAMS.join(',') },
    starts: { type: 'string', default: '3' },
    'idle-seconds': { type: 'string', default: '5' },
    'node-flags': { type: 'string' },
    /** The bundle to run, relative to apps/<program>. */
    bundle: { type: 'string', default: 'dist/main.js' },
    /**
     * A second build to measure side by side with the first (a saved bundle, relative to
     * apps/<program>): each program is measured with it, then with --bundle, in turn, so both
     * see the same load on a shared machine.
     */
    'compare-bundle': { type: 'string' },
    'compare-node-flags': { type: 'string', default: '' },
    env: { type: 'string', default: '' },
    'compare-env': { type: 'string', default: '' },
  },
});
const counts = values.counts.split(',').map(Number).sort((a, b) => a - b);
const programs = values.programs.split(',').map((p) => p.trim()) as Program[];
for (const p of programs) if (!PROGRAMS.includes(p)) throw new Error(`--programs: unknown program ${p}`);
interface Variant {
  label: string;
  bundle: string;
  nodeFlags: string[];
  env: Record<string, string>;
}
const envOf = (text: string): Record<string, string> =>
  Object.fromEntries(text.split(' ').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const starts = Math.max(1, Number(values.starts));
const idleMs = Number(values['idle-seconds']) * 1000;
/** The node flags npm start and the images give the programs (overridable, to compare). */
const nodeFlags = values['node-flags'] !== undefined ? values['node-flags'].split(' ').filter(Boolean) : [...PROGRAM_NODE_FLAGS];
const variants: Variant[] = [
  ...(values['compare-bundle'] ? [{ label: 'compare', bundle: values['compare-bundle'], nodeFlags: values['compare-node-flags'].split(' ').filter(Boolean), env: envOf(values['compare-env']) }] : []),
  { label: 'main', bundle: values.bundle, nodeFlags, env: envOf(values.env) },
];
for (const v of variants) for (const p of programs) if (!existsSync(join(ROOT, 'apps', p, v.bundle))) throw new Error(`apps/${p}/${v.bundle} is missing: run npm run build first`);

function withoutExtraCaCerts(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _machine, ...rest } = env;
  return rest;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

interface Running {
  child: ChildProcess;
  port: number;
  exited: Promise<number | null>;
  readyMs: number;
}

let certDir: Promise<string> | undefined;
/** The webhook's mounted certificate, made once. */
const webhookCertificateDir = () => (certDir ??= servingCertificateDir(['127.0.0.1', 'localhost']).then((c) => c.dir));

async function startOne(program: Program, kubeconfig: string, namespace: string, variant: Variant = variants.at(-1)!): Promise<Running> {
  const port = await freePort();
  const extra: string[] = [];
  // The webhook as the chart runs it: its serving certificate mounted from a Secret.
  if (program === 'admission-webhook') extra.push(`--bind-address=127.0.0.1:${await freePort()}`, '--patch-ca-bundle=false', `--tls-cert-dir=${await webhookCertificateDir()}`);
  if (program === 'sandbox-router') extra.push(`--bind-address=127.0.0.1:${await freePort()}`);
  if (ELECTED.has(program)) extra.push('--leader-elect');
  const t0 = performance.now();
  const child = spawn(process.execPath, [...variant.nodeFlags, join(ROOT, 'apps', program, variant.bundle), `--health-probe-bind-address=127.0.0.1:${port}`, '--log-level=warn', ...(program === 'admission-webhook' ? [] : [`--watch-namespace=${namespace}`]), ...extra], {
    cwd: ROOT,
    env: { ...withoutExtraCaCerts(process.env), ...variant.env, KUBECONFIG: kubeconfig, POD_NAMESPACE: namespace },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  live.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => (live.delete(child), resolve(code))));
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`${program} exited before it was ready`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (performance.now() - t0 > 600_000) throw new Error(`${program} not ready after 10 min`);
    await sleep(5);
  }
  return { child, port, exited, readyMs: Math.round(performance.now() - t0) };
}

async function stopOne(r: Running): Promise<void> {
  r.child.kill('SIGTERM');
  const timer = setTimeout(() => r.child.kill('SIGKILL'), 40_000);
  await r.exited;
  clearTimeout(timer);
}

/** Waits until the process has been up `minMs` and used < 1% of a core over the last 3 s (at most `timeoutMs`, then measures anyway). */
async function waitIdle(pid: number, minMs: number, timeoutMs = 60_000): Promise<number> {
  const t0 = performance.now();
  const samples: Array<{ t: number; cpu: number }> = [];
  for (;;) {
    const now = performance.now();
    samples.push({ t: now, cpu: cpuMs(pid) });
    // Keep the newest sample at least 3 s old as the window's start (dropping every sample older
    // than 3 s instead left a window of 2.75 s with 250 ms steps: never long enough).
    while (samples.length > 2 && now - samples[1]!.t >= 3_000) samples.shift();
    const first = samples[0]!;
    if (now - t0 >= minMs && now - first.t >= 3_000 && (samples.at(-1)!.cpu - first.cpu) / (now - first.t) < 0.01) return Math.round(now - t0);
    if (now - t0 > timeoutMs) return -Math.round(now - t0);
    await sleep(250);
  }
}

function procMemory(pid: number): { rssMB: number; anonMB: number; fileMB: number } {
  const { rss, anon, file } = residentBytes(pid);
  return { rssMB: mb(rss), anonMB: mb(anon), fileMB: mb(file) };
}

async function heap(port: number): Promise<{ heapUsedMB: number; heapTotalMB: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
  return { heapUsedMB: mb(metric('nodejs_heap_size_used_bytes')), heapTotalMB: mb(metric('nodejs_heap_size_total_bytes')) };
}

async function populate(client: KubeClient, namespace: string, count: number): Promise<void> {
  const existing = (await retryTooManyRequests(() => client.list(SandboxKind, { namespace }))).items.length;
  let next = existing;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < count) {
        const i = next++;
        await retryTooManyRequests(() =>
          client.create(SandboxKind, {
            apiVersion: 'agents.x-k8s.io/v1beta1',
            kind: 'Sandbox',
            metadata: { name: `fp-${i}`, namespace, labels: { app: 'footprint-bench' } },
            spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'registry.example/runtime:1', ports: [{ containerPort: 8888 }] }] } } },
          }),
        );
      }
    }),
  );
}

type Conditioned = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };

/** Runs the sandbox-controller until every Sandbox is Ready (its Pod running) and the controller is idle. */
async function converge(client: KubeClient, kubeconfig: string, namespace: string, count: number): Promise<void> {
  const r = await startOne('sandbox-controller', kubeconfig, namespace);
  try {
    const deadline = Date.now() + 1_800_000;
    for (;;) {
      // Pods that exist are not enough: while they start, the controller still writes every status.
      const ready = (await client.list<Conditioned>(SandboxKind, { namespace })).items.filter((s) => s.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
      if (ready >= count) break;
      if (Date.now() > deadline) throw new Error(`only ${ready} of ${count} Sandboxes Ready after 30 min`);
      await sleep(5_000);
    }
    await waitIdle(r.child.pid!, 0);
  } finally {
    await stopOne(r);
  }
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

async function main(): Promise<void> {
  /** Takes down the cluster this run made (none when KUBECONFIG names one). */
  let takeDownCluster: (() => Promise<void>) | undefined;
  // On Ctrl-C the running program goes too ('exit' handlers do not run on a signal), and the
  // cluster if this run made it.
  onInterrupt(() => {
    for (const c of live) c.kill('SIGKILL');
    return takeDownCluster?.();
  });
  let kubeconfig = process.env.KUBECONFIG;
  if (!kubeconfig) {
    const made = await ControlPlane.up({ name: `bench-fp-${process.pid}`, ownerPid: process.pid, progress: (l) => console.error(`controlplane: ${l}`) });
    // Once, whoever asks first: the interrupt, or the end of main() (which the interrupt's
    // killed programs make throw).
    let down: Promise<void> | undefined;
    const takeDown = () => (down ??= made.down());
    takeDownCluster = takeDown;
    kubeconfig = made.kubeconfigPath;
  }
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const client = new KubeClient(kc);
  // The programs get a JSON kubeconfig, as npm start writes them (kubectl's YAML would load a
  // YAML parser too).
  const programKubeconfig = join(mkdtempSync(join(tmpdir(), 'bench-fp-')), 'kubeconfig.json');
  writeFileSync(programKubeconfig, kc.exportConfig(), { mode: 0o600 });
  const namespace = `bench-fp-${Date.now().toString(36)}`;
  const results: Array<Record<string, unknown>> = [];
  try {
    await installCrds(kc);
    await client.create(Kinds.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    for (let i = 0; ; i++) {
      const ok = await client.get(ServiceAccountKind, { namespace, name: 'default' }).then(() => true, () => false);
      if (ok) break;
      if (i > 300) throw new Error('no default ServiceAccount');
      await sleep(100);
    }
    for (const count of counts) {
      console.error(`footprint: ${count} Sandboxes`);
      await populate(client, namespace, count);
      if (count > 0) await converge(client, programKubeconfig, namespace, count);
      for (const program of programs) {
        for (const variant of variants) {
          const readyMs: number[] = [];
          let last: Running | undefined;
          for (let s = 0; s < starts; s++) {
            const r = await startOne(program, programKubeconfig, namespace, variant);
            readyMs.push(r.readyMs);
            if (s < starts - 1) await stopOne(r);
            else last = r;
          }
          const idleAfterMs = await waitIdle(last!.child.pid!, idleMs);
          const memory = procMemory(last!.child.pid!);
          const js = await heap(last!.port).catch(() => ({ heapUsedMB: NaN, heapTotalMB: NaN }));
          await stopOne(last!);
          const row = { program, variant: variant.label, sandboxes: count, readyMs: median(readyMs), readyMsAll: readyMs, ...memory, ...js, idleAfterMs, loadAverage: loadavg()[0] };
          console.error(`footprint: ${JSON.stringify(row)}`);
          results.push(row);
        }
      }
    }
    console.log(
      JSON.stringify({
        benchmark: 'footprint',
        node: process.version,
        variants,
        cluster: takeDownCluster ? 'local control plane (kwok, fast profile)' : kubeconfig,
        results,
      }, null, 1),
    );
  } finally {
    for (const c of live) c.kill('SIGKILL');
    await client.delete(Kinds.Namespace, { name: namespace }).catch(() => undefined);
    client.close();
    if (certDir) rmSync(await certDir, { recursive: true, force: true });
    await takeDownCluster?.();
  }
}

await main();
