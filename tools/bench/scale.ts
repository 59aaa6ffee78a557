/**
 * Scale benchmark: N Sandboxes on kwok nodes with the four controllers running as separate
 * processes (their own ServiceAccounts and rbac.yaml), one namespace. Prints one JSON object:
 *
 * - creation: N Sandboxes sent with `--create-concurrency` requests in flight (the API server's
 *   sustained rate), then the time until all are Ready;
 * - per program, at steady state with the N Sandboxes: RSS and JS heap (total and per Sandbox
 *   above the empty-cluster figure), CPU as % of one core over `--steady-seconds`;
 * - per program: time from spawn to synced caches, and after SIGKILL + restart: to synced, to the
 *   first successful reconcile and to every object re-checked (reconciles of its main
 *   controller ≥ the objects it owns);
 * - claims at `--claim-rate`/s against a warm pool of `--pool` on the empty cluster and again
 *   with the N Sandboxes (`--claim-runs` runs each; on the empty cluster after an unmeasured
 *   warm-up run of `--warmup-seconds`): p50/p99 create → Ready, and the ratio; with
 *   the API server's mean time per claim-path request and the claim-controller's queue wait and
 *   reconcile time, to tell where a difference comes from;
 * - a pool scaled 0 → `--big-pool` → 0: time each way and API writes per member;
 * - kube-apiserver and etcd RSS, empty and at N.
 *
 *   node tools/bench/scale.ts [--count 20000] [--create-concurrency 64] [--pool 300]
 *        [--claim-rate 10] [--claim-seconds 20] [--claim-runs 1] [--warmup-seconds 10] [--big-pool 5000] [--steady-seconds 30]
 *        [--compare-bundle=node_modules/.saved/main.js] [--apiserver-heap-profile=heap.pb.gz]
 *
 * `--compare-bundle` (a saved build, relative to apps/<program>) is restarted too in step 6, just
 * before the current build, program by program: the two restarts side by side.
 *
 * Runs each program's bundle (`npm run build` first) with the images' Node flags. Starts its own
 * cluster (kwok nodes sized for the Pods) unless KUBECONFIG names one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { nameHash, WARM_POOL_SANDBOX_LABEL } from '@agent-sandbox/api';
import { installCrds } from '@agent-sandbox/api/crds';
import { ControlPlane, cpuMs, freePort, residentBytes, serviceAccountKubeConfig } from '@agent-sandbox/controlplane';
import { KubeClient, Kinds, type KubeObject, type ResourceKind } from '@agent-sandbox/runtime';
import { PROGRAM_NODE_FLAGS } from '@agent-sandbox/images';
import { onInterrupt } from './src/interrupt.ts';
import { apiserverGet, apiserverRequests, apiserverRequestTime, labelsOf, meanRequestMs, WRITE_VERBS } from './src/apiserver-requests.ts';
import { clusterPids } from './src/proc.ts';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '20000' },
    'create-concurrency': { type: 'string', default: '64' },
    pool: { type: 'string', default: '300' },
    'claim-rate': { type: 'string', default: '10' },
    'claim-seconds': { type: 'string', default: '20' },
    /** Runs of claims on the empty cluster and again at N, latencies pooled (each run's shown). */
    'claim-runs': { type: 'string', default: '1' },
    /**
     * Claims sent (not measured) before those on the empty cluster: the programs and the API
     * server start cold there (JIT, connections, first-use caches), and are warm at N.
     */
    'warmup-seconds': { type: 'string', default: '10' },
    'big-pool': { type: 'string', default: '5000' },
    'steady-seconds': { type: 'string', default: '30' },
    /** Wait at least this long after the last Sandbox is Ready, then until API writes fall to ≤ 1/s. */
    'settle-seconds': { type: 'string', default: '15' },
    'skip-restart': { type: 'boolean', default: false },
    /** Write the API server's heap profile at N here (after the claims at N; needs the bench's own cluster). */
    'apiserver-heap-profile': { type: 'string' },
    /**
     * A saved build (relative to apps/<program>) also restarted in step 6, program by program just
     * before the current one, so both restarts are measured side by side on the same cluster.
     */
    'compare-bundle': { type: 'string' },
  },
});
const N = Number(args.count);
const POOL = Number(args.pool);
const CLAIM_RATE = Number(args['claim-rate']);
const CLAIM_SECONDS = Number(args['claim-seconds']);
const BIG_POOL = Number(args['big-pool']);
const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const PODS_PER_NODE = 5000;
for (const program of ['sandbox-controller', 'warmpool-orchestrator', 'claim-controller', 'ttl-reaper']) {
  const bundle = join(ROOT, 'apps', program, 'dist', 'main.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` first`);
  const compare = args['compare-bundle'] && join(ROOT, 'apps', program, args['compare-bundle']);
  if (compare && !existsSync(compare)) throw new Error(`--compare-bundle: ${compare} is missing`);
}

const kind = (group: string, k: string, plural: string): ResourceKind => ({ group, version: 'v1beta1', kind: k, plural, namespaced: true });
const SandboxKind = kind('agents.x-k8s.io', 'Sandbox', 'sandboxes');
const TemplateKind = kind('extensions.agents.x-k8s.io', 'SandboxTemplate', 'sandboxtemplates');
const PoolKind = kind('extensions.agents.x-k8s.io', 'SandboxWarmPool', 'sandboxwarmpools');
const ClaimKind = kind('extensions.agents.x-k8s.io', 'SandboxClaim', 'sandboxclaims');
type Obj = KubeObject & { spec?: any; status?: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const log = (line: string) => process.stderr.write(`scale: ${new Date().toISOString().slice(11, 19)} ${line}\n`);
const MiB = 1024 * 1024;

const rssBytes = (pid: number | undefined) => residentBytes(pid).rss;

// ---- cluster ---------------------------------------------------------------------------------

let cluster: ControlPlane | undefined;
const running = new Map<ProgramName, Running>();
// Interrupted: stop the programs and take down the cluster this script made, then exit.
onInterrupt(() => {
  for (const r of running.values()) r.child.kill('SIGKILL');
  return cluster?.down();
}, log);
let kubeconfigPath = process.env.KUBECONFIG;
if (!kubeconfigPath) {
  const pods = N + POOL * 2 + BIG_POOL + CLAIM_RATE * CLAIM_SECONDS * 2 * Number(args['claim-runs']);
  const nodes = Math.ceil(pods / PODS_PER_NODE) + 1;
  log(`starting a cluster with ${nodes} kwok nodes of ${PODS_PER_NODE} pods`);
  cluster = await ControlPlane.up({ name: `scale-${process.pid}`, ownerPid: process.pid, nodes, podsPerNode: PODS_PER_NODE, profiling: args['apiserver-heap-profile'] !== undefined, progress: (l) => log(`controlplane: ${l}`) });
  kubeconfigPath = cluster.kubeconfigPath;
}
const kc = new KubeConfig();
kc.loadFromFile(kubeconfigPath);
const client = new KubeClient(kc);
const controlPlanePids = clusterPids(kubeconfigPath);

/** The API server's write requests so far, by verb and resource (409s apart). */
const apiWrites = () => apiserverRequests(kc, WRITE_VERBS);

function writesPer(before: Map<string, number>, after: Map<string, number>, per: number): { total: number; byResource: Record<string, number> } {
  const byResource: Record<string, number> = {};
  let total = 0;
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d <= 0) continue;
    byResource[k] = round(d / per, 2);
    total += d;
  }
  return { total: round(total / per, 2), byResource };
}

// ---- programs --------------------------------------------------------------------------------

const NS = `bench-scale-${Date.now().toString(36)}`;
type ProgramName = 'sandbox-controller' | 'warmpool-orchestrator' | 'claim-controller' | 'ttl-reaper';
const PROGRAMS: ProgramName[] = ['sandbox-controller', 'warmpool-orchestrator', 'claim-controller', 'ttl-reaper'];
/** Extra flags, as claims.ts runs them. */
const FLAGS: Record<ProgramName, string[]> = {
  'sandbox-controller': ['--workers=32'],
  'warmpool-orchestrator': ['--max-create-batch=100'],
  'claim-controller': ['--workers=64'],
  'ttl-reaper': [],
};
/** The controller whose reconciles count as "every object re-checked" after a restart. */
const MAIN_CONTROLLER: Record<Exclude<ProgramName, 'ttl-reaper'>, string> = {
  'sandbox-controller': 'sandbox',
  'warmpool-orchestrator': 'sandboxwarmpool',
  'claim-controller': 'sandboxclaim',
};

/**
 * After a restart, from a program's /metrics: whether it has done useful work yet, and whether it
 * has looked at all `expected` objects. The controllers count reconciles of their main
 * controller that were not set aside until the sync (with the caches synced and an empty queue);
 * the ttl-reaper acts from deadlines, so it is useful once its controllers run and it holds a
 * deadline, and has re-checked everything once it has synced and holds the deadline of every Sandbox.
 */
function restartProgress(program: ProgramName, text: string, expected: number, synced: boolean): { first: boolean; all: boolean } {
  if (program === 'ttl-reaper') {
    // Its deadlines fill as the list streams in; it acts on them once its controllers run
    // (before the sync: they start early).
    const pending = metric(text, 'agent_sandbox_ttl_pending_deadlines');
    const running = metric(text, 'controller_runtime_max_concurrent_reconciles', { controller: 'ttl-sandbox' }) > 0;
    return { first: running && pending > 0, all: synced && pending >= expected };
  }
  const main = MAIN_CONTROLLER[program];
  // A reconcile that set its key aside until the sync (result="requeue") has not re-checked it.
  const done = metric(text, 'controller_runtime_reconcile_total', { controller: main }) - metric(text, 'controller_runtime_reconcile_total', { controller: main, result: 'requeue' });
  return {
    first: metric(text, 'controller_runtime_reconcile_total', { result: 'success' }) > 0,
    all: synced && done >= expected && metric(text, 'workqueue_depth', { controller: main }) === 0,
  };
}

interface Running {
  child: ChildProcess;
  port: number;
  spawnedAt: number;
  exited: boolean;
}
const kubeconfigs = new Map<ProgramName, string>();
const forbidden: string[] = [];

async function spawnProgram(program: ProgramName, bundle = 'dist/main.js'): Promise<Running> {
  let path = kubeconfigs.get(program);
  if (!path) {
    const asAccount = await serviceAccountKubeConfig(kc, { namespace: 'agent-sandbox-bench', name: program, rbacFile: join(ROOT, 'apps', program, 'rbac.yaml'), fieldManager: 'bench' });
    path = join(tmpdir(), `bench-scale-${program}-${process.pid}.kubeconfig`);
    writeFileSync(path, asAccount.exportConfig(), { mode: 0o600 });
    kubeconfigs.set(program, path);
  }
  const port = running.get(program)?.port ?? (await freePort());
  // The bundle with the images' Node flags: what is measured is what ships (run `npm run build` first).
  const child = spawn(NODE, [...PROGRAM_NODE_FLAGS, join(ROOT, 'apps', program, bundle), `--kubeconfig=${path}`, `--watch-namespace=${NS}`, `--health-probe-bind-address=127.0.0.1:${port}`, '--log-level=warn', ...FLAGS[program]], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const r: Running = { child, port, spawnedAt: performance.now(), exited: false };
  child.on('exit', () => (r.exited = true));
  createInterface({ input: child.stdout! }).on('line', (l) => {
    if (/"(code|statusCode)":403\b|"reason":"Forbidden"/.test(l)) forbidden.push(`${program}: ${l.slice(0, 300)}`);
    process.stderr.write(`[${program}] ${l.slice(0, 400)}\n`);
  });
  running.set(program, r);
  return r;
}

async function get(port: number, path: string): Promise<{ ok: boolean; text: string }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5_000) });
    return { ok: res.ok, text: await res.text() };
  } catch {
    return { ok: false, text: '' };
  }
}

/** Sum of a metric's samples whose labels include all of `match`. */
function metric(text: string, name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labels = labelsOf(line);
    if (Object.entries(match).every(([k, v]) => labels[k] === v)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function waitReady(program: ProgramName, timeoutMs = 600_000): Promise<number> {
  const r = running.get(program)!;
  for (const end = Date.now() + timeoutMs; Date.now() < end; await sleep(50)) {
    if (r.exited) throw new Error(`${program} exited`);
    if ((await get(r.port, '/readyz')).ok) return performance.now() - r.spawnedAt;
  }
  throw new Error(`${program} not ready in time`);
}

async function memoryOf(program: ProgramName): Promise<{ rssMiB: number; heapUsedMiB: number }> {
  const r = running.get(program)!;
  const text = (await get(r.port, '/metrics')).text;
  return { rssMiB: round(rssBytes(r.child.pid) / MiB), heapUsedMiB: round(metric(text, 'nodejs_heap_size_used_bytes') / MiB) };
}

// ---- the cluster's objects, as this script's own watches see them ------------------------------

const sandboxReady = new Map<string, boolean>();
const claimSentAt = new Map<string, number>();
const claimReadyAt = new Map<string, number>();
const claimNames = new Set<string>();
const isReady = (o: Obj) => (o.status?.conditions as Array<{ type: string; status: string }> | undefined)?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
const watchAbort = new AbortController();

function watch(kindPath: string, onEvent: (type: string, o: Obj) => void): Promise<void> {
  return (async () => {
    let resourceVersion: string | undefined;
    while (!watchAbort.signal.aborted) {
      await client
        .stream(kindPath, {
          query: { watch: 1, allowWatchBookmarks: true, ...(resourceVersion ? { resourceVersion } : {}) },
          signal: watchAbort.signal,
          onLine: (e) => {
            const { type, object } = e as { type: string; object: Obj };
            if (object?.metadata?.resourceVersion) resourceVersion = object.metadata.resourceVersion;
            if (type === 'ERROR') resourceVersion = undefined;
            else if (type !== 'BOOKMARK') onEvent(type, object);
          },
        })
        .catch(() => undefined);
    }
  })();
}

function startWatches(): Promise<void>[] {
  return [
    watch(`/apis/agents.x-k8s.io/v1beta1/namespaces/${NS}/sandboxes`, (type, s) => {
      if (type === 'DELETED') sandboxReady.delete(s.metadata.name!);
      else sandboxReady.set(s.metadata.name!, isReady(s));
    }),
    watch(`/apis/extensions.agents.x-k8s.io/v1beta1/namespaces/${NS}/sandboxclaims`, (type, c) => {
      const name = c.metadata.name!;
      if (type === 'DELETED') return void claimNames.delete(name);
      claimNames.add(name);
      if (!claimReadyAt.has(name) && isReady(c)) claimReadyAt.set(name, performance.now());
    }),
  ];
}

async function poolReady(name: string, n: number, timeoutMs = 1_800_000): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const p = await client.get<Obj>(PoolKind, { namespace: NS, name });
    if ((p.status?.readyReplicas ?? 0) === n && (n > 0 || (p.status?.replicas ?? 0) === 0)) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`pool ${name} not at ${n} Ready in time (at ${p.status?.readyReplicas})`);
    await sleep(200);
  }
}

const poolObj = (name: string, replicas: number) => ({ apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxWarmPool', metadata: { name, namespace: NS }, spec: { replicas, sandboxTemplateRef: { name: 't' } } });

/** Waits (up to `maxMs`) until the API server's writes fall to 1/s or less over 5 s; returns the ms waited. */
async function settle(maxMs: number): Promise<number> {
  const start = performance.now();
  for (let before = await apiWrites(); performance.now() - start < maxMs; ) {
    await sleep(5_000);
    const after = await apiWrites();
    if (writesPer(before, after, 5).total <= 1) break;
    before = after;
  }
  return performance.now() - start;
}

/** One run of claims at CLAIM_RATE/s for `seconds` against pool `p`: create → Ready latencies. */
async function claimRun(prefix: string, seconds = CLAIM_SECONDS): Promise<{ claims: number; latencies: number[] }> {
  const total = Math.round(CLAIM_RATE * seconds);
  const t0 = performance.now();
  const creates: Promise<unknown>[] = [];
  const names: string[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / CLAIM_RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const name = `${prefix}-${i}`;
    names.push(name);
    claimSentAt.set(name, due);
    creates.push(client.create(ClaimKind, { apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxClaim', metadata: { name, namespace: NS }, spec: { warmPoolRef: { name: 'p' } } }));
  }
  await Promise.all(creates);
  for (const end = Date.now() + 120_000; Date.now() < end && names.some((n) => !claimReadyAt.has(n)); ) await sleep(100);
  return { claims: total, latencies: names.filter((n) => claimReadyAt.has(n)).map((n) => claimReadyAt.get(n)! - claimSentAt.get(n)!) };
}

/** The claim path's requests (claims, and Sandboxes bound to them) and their etcd operations. */
const onClaimPath = (key: string) => /^(POST|PUT|PATCH|etcd \w+) (sandboxclaims|sandboxes)\b/.test(key);

/**
 * `--claim-runs` runs of claims (each but the last then deleted and the pool refilled), their latencies pooled;
 * with each run's p50/p99 (the noise), and where the time went: the API server's mean time per
 * claim-path request (and its etcd operations), the claim-controller's mean queue wait and
 * reconcile time, read before and after each run (never during one: at N a scrape of the API
 * server costs enough to show), and each process's CPU per claim.
 */
async function claimRuns(prefix: string): Promise<Record<string, unknown>> {
  const runs = Number(args['claim-runs']);
  const latencies: number[] = [];
  const perRun: Array<{ p50Ms: number; p99Ms: number; etcdCompaction?: { runs: number; ms: number; keys: number } }> = [];
  let claims = 0;
  const api: Record<string, { requests: number; ms: number }> = {};
  const cc = { reconciles: 0, reconcileMs: 0, queued: 0, queueMs: 0 };
  const cpuMsPerClaim: Record<string, number> = {};
  const ccMetrics = async () => (await get(running.get('claim-controller')!.port, '/metrics')).text;
  const ccSum = (text: string, name: string) => metric(text, name, { controller: MAIN_CONTROLLER['claim-controller'] });
  for (let r = 0; r < runs; r++) {
    if (r > 0) {
      // The last run's claims go, their Sandboxes and Pods with them, and the pool refills.
      await deleteClaims(`${prefix}${r - 1}-`);
      await poolReady('p', POOL);
    }
    // Every run starts on a quiet cluster (a pool just filled still has Events and Pod updates
    // in flight): the empty and the full cluster are compared under the same conditions.
    await settle(120_000);
    const [api0, cc0, etcd0] = [await apiserverRequestTime(kc, WRITE_VERBS), await ccMetrics(), await etcdMetrics()];
    await sleep(2_000);
    const cpu0 = cpuOf();
    const run = await claimRun(`${prefix}${r}`);
    const cpu1 = cpuOf();
    const [api1, cc1, etcd1] = [await apiserverRequestTime(kc, WRITE_VERBS), await ccMetrics(), await etcdMetrics()];
    for (const k of Object.keys(cpu1)) cpuMsPerClaim[k] = (cpuMsPerClaim[k] ?? 0) + (cpu1[k]! - cpu0[k]!);
    claims += run.claims;
    latencies.push(...run.latencies);
    const sorted = run.latencies.sort((a, b) => a - b);
    // The API server compacts etcd every 5 minutes: the first compaction after the N Sandboxes
    // were made drops their whole history, and may fall into a run.
    const compaction = (name: string) => metric(etcd1, `etcd_debugging_mvcc_db_compaction_${name}`) - metric(etcd0, `etcd_debugging_mvcc_db_compaction_${name}`);
    perRun.push({
      p50Ms: round(quantile(sorted, 0.5)),
      p99Ms: round(quantile(sorted, 0.99)),
      ...(cluster ? { etcdCompaction: { runs: compaction('total_duration_milliseconds_count'), ms: compaction('total_duration_milliseconds_sum'), keys: compaction('keys_total') } } : {}),
    });
    for (const [key, { requests, meanMs }] of Object.entries(meanRequestMs(api0, api1, onClaimPath))) {
      const a = (api[key] ??= { requests: 0, ms: 0 });
      a.requests += requests;
      a.ms += requests * meanMs;
    }
    cc.reconciles += ccSum(cc1, 'controller_runtime_reconcile_time_seconds_count') - ccSum(cc0, 'controller_runtime_reconcile_time_seconds_count');
    cc.reconcileMs += (ccSum(cc1, 'controller_runtime_reconcile_time_seconds_sum') - ccSum(cc0, 'controller_runtime_reconcile_time_seconds_sum')) * 1000;
    cc.queued += ccSum(cc1, 'workqueue_queue_duration_seconds_count') - ccSum(cc0, 'workqueue_queue_duration_seconds_count');
    cc.queueMs += (ccSum(cc1, 'workqueue_queue_duration_seconds_sum') - ccSum(cc0, 'workqueue_queue_duration_seconds_sum')) * 1000;
  }
  latencies.sort((a, b) => a - b);
  return {
    claims,
    ready: latencies.length,
    p50Ms: round(quantile(latencies, 0.5)),
    p99Ms: round(quantile(latencies, 0.99)),
    maxMs: round(latencies.at(-1) ?? NaN),
    runs: perRun,
    apiserverMeanMs: Object.fromEntries(Object.entries(api).map(([k, a]) => [k, { requests: a.requests, meanMs: round(a.ms / a.requests) }])),
    claimController: {
      reconciles: cc.reconciles,
      reconcileMeanMs: round(cc.reconcileMs / cc.reconciles),
      queueWaitMeanMs: round(cc.queueMs / cc.queued),
    },
    // From the first claim sent to the last one Ready: includes the refills the claims cause.
    cpuMsPerClaim: Object.fromEntries(Object.entries(cpuMsPerClaim).map(([k, ms]) => [k, round(ms / claims, 2)])),
  };
}

async function deleteClaims(prefix: string): Promise<void> {
  const names = [...claimNames].filter((n) => n.startsWith(prefix));
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < names.length) await client.delete(ClaimKind, { namespace: NS, name: names[next++]! }).catch(() => undefined);
  }));
}

/** etcd's own metrics, when the bench runs its own cluster ('' otherwise). */
const etcdMetrics = async () => (cluster ? (await fetch(`${cluster.etcdUrl}/metrics`)).text() : '');

const cpuOf = () => Object.fromEntries([...PROGRAMS.map((p) => [p, cpuMs(running.get(p)?.child.pid)] as const), ...Object.entries(controlPlanePids).map(([k, pid]) => [k, cpuMs(pid)] as const)]);
const controlPlaneRss = () => Object.fromEntries(['kube-apiserver', 'etcd'].map((k) => [k, round(rssBytes(controlPlanePids[k]) / MiB)]));

const result: Record<string, unknown> = { count: N, pool: POOL, claimRate: CLAIM_RATE, claimSeconds: CLAIM_SECONDS, bigPool: BIG_POOL, node: process.version };
const watches: Promise<void>[] = [];
try {
  await installCrds(kc);
  await client.create(Kinds.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  watches.push(...startWatches());
  await client.create(TemplateKind, {
    apiVersion: 'extensions.agents.x-k8s.io/v1beta1',
    kind: 'SandboxTemplate',
    metadata: { name: 't', namespace: NS },
    spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'registry.example/runtime:1', ports: [{ containerPort: 8888 }] }] } } },
  });

  // 1. The programs on an empty namespace.
  log('starting the programs');
  for (const p of PROGRAMS) await spawnProgram(p);
  const startEmpty: Record<string, number> = {};
  for (const p of PROGRAMS) startEmpty[p] = round(await waitReady(p));
  await sleep(3_000);
  const memEmpty: Record<string, { rssMiB: number; heapUsedMiB: number }> = {};
  for (const p of PROGRAMS) memEmpty[p] = await memoryOf(p);
  result.empty = { startToSyncedMs: startEmpty, memory: memEmpty, controlPlaneRssMiB: controlPlaneRss() };

  // 2. Claims on the empty cluster.
  await client.create(PoolKind, poolObj('p', POOL));
  const fillEmpty = await poolReady('p', POOL);
  log(`pool of ${POOL} Ready in ${Math.round(fillEmpty)} ms; claims on the empty cluster`);
  const warmupSeconds = Number(args['warmup-seconds']);
  if (warmupSeconds > 0) {
    const warmup = await claimRun('cw', warmupSeconds);
    const sorted = warmup.latencies.sort((a, b) => a - b);
    result.warmup = { seconds: warmupSeconds, claims: warmup.claims, ready: sorted.length, p50Ms: round(quantile(sorted, 0.5)) };
    await deleteClaims('cw-');
    await poolReady('p', POOL);
  }
  const claimsEmpty = await claimRuns('ce');
  await deleteClaims('ce');
  await poolReady('p', POOL);

  // 3. N Sandboxes, created as fast as the API server takes them.
  log(`creating ${N} Sandboxes`);
  const shutdownTime = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const writesBeforeCreate = await apiWrites();
  const tCreate = performance.now();
  let next = 0;
  let createErrors = 0;
  await Promise.all(Array.from({ length: Number(args['create-concurrency']) }, async () => {
    while (next < N) {
      const i = next++;
      const body = {
        apiVersion: 'agents.x-k8s.io/v1beta1',
        kind: 'Sandbox',
        metadata: { name: `s-${i}`, namespace: NS },
        spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'registry.example/runtime:1', ports: [{ containerPort: 8888 }] }] } }, shutdownTime, shutdownPolicy: 'Delete' },
      };
      for (let attempt = 0; ; attempt++) {
        try {
          await client.create(SandboxKind, body);
          break;
        } catch (err) {
          if ((err as { code?: number }).code === 409) break;
          createErrors++;
          if (attempt > 20) throw err;
          await sleep(500);
        }
      }
      if (i % 2000 === 0 && i > 0) log(`sent ${i}`);
    }
  }));
  const createMs = performance.now() - tCreate;
  const countReady = () => [...sandboxReady].filter(([n, r]) => r && n.startsWith('s-')).length;
  for (let last = -1, lastChange = Date.now(); countReady() < N; await sleep(500)) {
    const c = countReady();
    if (c !== last) {
      last = c;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > 300_000) throw new Error(`Sandboxes stopped becoming Ready at ${c} of ${N}`);
  }
  const readyMs = performance.now() - tCreate;
  const writesAfterCreate = await apiWrites();
  result.creation = {
    sandboxes: N,
    createConcurrency: Number(args['create-concurrency']),
    sendSeconds: round(createMs / 1000),
    createsPerSecond: round(N / (createMs / 1000)),
    allReadySeconds: round(readyMs / 1000),
    readyPerSecond: round(N / (readyMs / 1000)),
    createRetries: createErrors,
    apiWritesPerSandbox: writesPer(writesBeforeCreate, writesAfterCreate, N),
  };
  log(`created in ${round(createMs / 1000)} s, all Ready after ${round(readyMs / 1000)} s`);

  // 4. Steady state: after the settle time, and once the API server's writes have died down
  // (Events still being posted, Pods still starting would otherwise be measured as steady, and
  // slow the claims measured next), for at most 5 minutes more.
  await sleep(Number(args['settle-seconds']) * 1000);
  result.settledAfterSeconds = round(Number(args['settle-seconds']) + (await settle(300_000)) / 1000);
  const steadySeconds = Number(args['steady-seconds']);
  const cpu0 = cpuOf();
  const writes0 = await apiWrites();
  await sleep(steadySeconds * 1000);
  const cpu1 = cpuOf();
  const writes1 = await apiWrites();
  const steady: Record<string, unknown> = {};
  for (const p of PROGRAMS) {
    const m = await memoryOf(p);
    steady[p] = {
      ...m,
      rssKiBPerSandbox: round(((m.rssMiB - memEmpty[p]!.rssMiB) * 1024) / N, 2),
      heapKiBPerSandbox: round(((m.heapUsedMiB - memEmpty[p]!.heapUsedMiB) * 1024) / N, 2),
      cpuPercentOfCore: round(((cpu1[p]! - cpu0[p]!) / (steadySeconds * 1000)) * 100, 2),
    };
  }
  result.steady = {
    seconds: steadySeconds,
    programs: steady,
    controlPlaneRssMiB: controlPlaneRss(),
    controlPlaneCpuPercentOfCore: Object.fromEntries(Object.keys(controlPlanePids).map((k) => [k, round(((cpu1[k]! - cpu0[k]!) / (steadySeconds * 1000)) * 100, 1)])),
    // By resource too: a steady state that is not (Events still being posted, Pods still
    // starting) shows here, and slows the claims measured next.
    apiWritesPerSecond: writesPer(writes0, writes1, steadySeconds),
  };
  log(`steady: ${JSON.stringify(steady)}`);

  // 5. Claims with the N Sandboxes there.
  const claimsFull = await claimRuns('cf');
  result.claims = { empty: claimsEmpty, atN: claimsFull, p50Ratio: round((claimsFull.p50Ms as number) / (claimsEmpty.p50Ms as number), 2), p99Ratio: round((claimsFull.p99Ms as number) / (claimsEmpty.p99Ms as number), 2) };
  log(`claims: ${JSON.stringify(result.claims)}`);
  await poolReady('p', POOL);
  if (args['apiserver-heap-profile']) {
    // Read with `go tool pprof -sample_index=inuse_space -top <file>`: what the API server holds at N.
    writeFileSync(args['apiserver-heap-profile'], await apiserverGet(kc, '/debug/pprof/heap'));
    log(`the API server's heap profile is in ${args['apiserver-heap-profile']}`);
  }

  // 6. SIGKILL + restart, one program at a time.
  if (!args['skip-restart']) {
    const restart: Record<string, unknown> = {};
    const sandboxes = sandboxReady.size;
    const expected: Record<ProgramName, number> = { 'sandbox-controller': sandboxes, 'warmpool-orchestrator': 1, 'claim-controller': claimNames.size, 'ttl-reaper': N };
    /** SIGKILL, then the program from `bundle`: times to synced, first useful reconcile, all re-checked. */
    const restartOnce = async (p: ProgramName, bundle?: string) => {
      running.get(p)!.child.kill('SIGKILL');
      await new Promise<void>((resolve) => (running.get(p)!.exited ? resolve() : running.get(p)!.child.once('exit', () => resolve())));
      const r = await spawnProgram(p, bundle);
      let synced: number | undefined;
      let first: number | undefined;
      let all: number | undefined;
      for (const end = Date.now() + 300_000; Date.now() < end && all === undefined; await sleep(50)) {
        if (r.exited) throw new Error(`${p} exited after restart`);
        if (synced === undefined && (await get(r.port, '/readyz')).ok) synced = performance.now() - r.spawnedAt;
        // Reconciles may start before the caches have synced (a controller with startBeforeSync).
        const metrics = await get(r.port, '/metrics');
        if (!metrics.ok) continue;
        const progress = restartProgress(p, metrics.text, expected[p], synced !== undefined);
        if (first === undefined && progress.first) first = performance.now() - r.spawnedAt;
        if (progress.all) all = performance.now() - r.spawnedAt;
      }
      return { objects: expected[p], toSyncedMs: round(synced ?? NaN), toFirstReconcileMs: round(first ?? NaN), toAllRecheckedMs: round(all ?? NaN), ...(await memoryOf(p)) };
    };
    const compareBundle = args['compare-bundle'];
    for (const p of PROGRAMS) {
      if (compareBundle) {
        restart[`${p} (${compareBundle})`] = await restartOnce(p, compareBundle);
        log(`restart ${p} from ${compareBundle}: ${JSON.stringify(restart[`${p} (${compareBundle})`])}`);
      }
      restart[p] = await restartOnce(p);
      log(`restart ${p}: ${JSON.stringify(restart[p])}`);
    }
    result.restart = restart;
  }

  // 7. A pool 0 → BIG_POOL → 0.
  if (BIG_POOL > 0) {
    await client.create(PoolKind, poolObj('big', 0));
    await sleep(2_000);
    const w0 = await apiWrites();
    await client.patch(PoolKind, { namespace: NS, name: 'big' }, { spec: { replicas: BIG_POOL } }, { type: 'merge' });
    const upMs = await poolReady('big', BIG_POOL);
    await sleep(2_000);
    const w1 = await apiWrites();
    const memAtBig = Object.fromEntries(await Promise.all(PROGRAMS.map(async (p) => [p, await memoryOf(p)] as const)));
    const t1 = performance.now();
    await client.patch(PoolKind, { namespace: NS, name: 'big' }, { spec: { replicas: 0 } }, { type: 'merge' });
    await poolReady('big', 0);
    // Members gone from the API server (not only from the pool's count).
    for (const end = Date.now() + 600_000; Date.now() < end; await sleep(500)) {
      const list = await client.list(SandboxKind, { namespace: NS, query: { labelSelector: `${WARM_POOL_SANDBOX_LABEL}=${nameHash('big')}`, limit: 1 } });
      if (list.items.length === 0) break;
    }
    const downMs = performance.now() - t1;
    await sleep(2_000);
    const w2 = await apiWrites();
    result.bigPool = {
      members: BIG_POOL,
      upSeconds: round(upMs / 1000),
      upMembersPerSecond: round(BIG_POOL / (upMs / 1000)),
      downSeconds: round(downMs / 1000),
      apiWritesPerMemberUp: writesPer(w0, w1, BIG_POOL),
      apiWritesPerMemberDown: writesPer(w1, w2, BIG_POOL),
      memoryAtPeak: memAtBig,
    };
    log(`big pool: ${JSON.stringify(result.bigPool)}`);
  }
  result.controlPlaneRssMiBAtEnd = controlPlaneRss();
  result.forbidden = forbidden.length;
} catch (err) {
  result.error = (err as Error).stack ?? String(err);
} finally {
  for (const r of running.values()) r.child.kill('SIGTERM');
  watchAbort.abort();
  await Promise.race([Promise.all(watches), sleep(5_000)]);
  for (const path of kubeconfigs.values()) rmSync(path, { force: true });
  if (cluster) {
    await cluster.down();
  } else {
    await client.delete(Kinds.Namespace, { name: NS }).catch(() => undefined);
  }
  client.close();
}
console.log(JSON.stringify(result, null, 2));
process.exit(result.error ? 1 : 0);
