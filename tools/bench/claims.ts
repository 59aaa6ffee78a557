/**
 * Benchmark of the hot path: the sandbox-controller, warmpool-orchestrator and claim-controller
 * as separate processes against the cluster named by KUBECONFIG (e.g. `npm run cluster -- up`),
 * claims created at a fixed rate (open loop) against a pool sized to keep up. Prints one JSON
 * object.
 *
 *   KUBECONFIG=… node tools/bench/claims.ts [--rate 50] [--seconds 20] [--pool 300] [--replicas 1] [--workers 64] [--identity serviceaccount|admin]
 *        [--bundle [--node-flags='…']]
 *
 * The programs run from their TypeScript sources, or with --bundle from apps/<program>/dist/main.js
 * (`npm run build` first) with the images' Node flags, or `--node-flags` instead of them (to
 * measure what a flag costs in CPU per claim).
 * The programs run as their own ServiceAccounts (a token, as in a cluster) unless --identity admin.
 *
 * Latency: claim create sent → Ready=True seen by this client's own watch on the claims.
 * API writes: deltas of the API server's apiserver_request_total for POST/PUT/PATCH/APPLY/DELETE,
 * by resource (conflicts apart), divided by the claims; "critical path" counts the claim-controller's writes to
 * claims and sandboxes (reservation, adoption, status) and the client's create.
 * CPU: milliseconds of CPU per claim of each control-plane process and program, from /proc.
 * Refill: a second pool of `--pool` members from nothing to all Ready.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { installCrds } from '@agent-sandbox/api/crds';
import { cpuMs, serviceAccountKubeConfig } from '@agent-sandbox/controlplane';
import { KubeClient, type KubeObject, type ResourceKind } from '@agent-sandbox/runtime';
import { apiserverRequests, WRITE_VERBS } from './src/apiserver-requests.ts';
import { clusterPids } from './src/proc.ts';
import { PROGRAM_NODE_FLAGS } from '@agent-sandbox/images';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '20' },
    pool: { type: 'string', default: '300' },
    replicas: { type: 'string', default: '1' },
    workers: { type: 'string', default: '64' },
    'skip-refill': { type: 'boolean', default: false },
    identity: { type: 'string', default: 'serviceaccount' },
    bundle: { type: 'boolean', default: false },
    'node-flags': { type: 'string' },
  },
});
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const POOL = Number(args.pool);
const ROOT = join(import.meta.dirname, '..', '..');
const NODE_FLAGS = args['node-flags'] !== undefined ? args['node-flags'].split(' ').filter(Boolean) : [...PROGRAM_NODE_FLAGS];
const NODE = join(ROOT, 'node_modules', '.bin', 'node');

const kind = (group: string, k: string, plural: string): ResourceKind => ({ group, version: 'v1beta1', kind: k, plural, namespaced: true });
const TemplateKind = kind('extensions.agents.x-k8s.io', 'SandboxTemplate', 'sandboxtemplates');
const PoolKind = kind('extensions.agents.x-k8s.io', 'SandboxWarmPool', 'sandboxwarmpools');
const ClaimKind = kind('extensions.agents.x-k8s.io', 'SandboxClaim', 'sandboxclaims');
const NamespaceKind: ResourceKind = { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false };
type Obj = KubeObject & { spec?: any; status?: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

const kc = new KubeConfig();
kc.loadFromDefault();
const client = new KubeClient(kc);

const apiserverMetrics = () => apiserverRequests(kc, [...WRITE_VERBS, 'GET']);

/**
 * The kubeconfig a program runs with: by default (`--identity serviceaccount`) a token of its own
 * ServiceAccount bound to its rbac.yaml, as in a cluster; `--identity admin` uses KUBECONFIG's
 * client certificate (which the API server verifies on every request).
 */
const kubeconfigFiles: string[] = [];
async function kubeconfigFor(program: string): Promise<string> {
  if (args.identity === 'admin') return process.env.KUBECONFIG!;
  const asAccount = await serviceAccountKubeConfig(kc, { namespace: 'agent-sandbox-bench', name: program, rbacFile: join(ROOT, 'apps', program, 'rbac.yaml'), fieldManager: 'bench' });
  const path = join(tmpdir(), `bench-${program}-${process.pid}.kubeconfig`);
  writeFileSync(path, asAccount.exportConfig(), { mode: 0o600 });
  kubeconfigFiles.push(path);
  return path;
}

async function startProgram(program: string, extra: string[]): Promise<ChildProcess> {
  const entry = args.bundle ? [...NODE_FLAGS, join(ROOT, 'apps', program, 'dist', 'main.js')] : [join(ROOT, 'apps', program, 'src', 'main.ts')];
  const child = spawn(NODE, [...entry, `--kubeconfig=${await kubeconfigFor(program)}`, `--watch-namespace=${NS}`, '--health-probe-bind-address=127.0.0.1:0', '--log-level=error', ...extra], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    // With --log-level=error the "started" line is not printed: wait for readiness instead.
    createInterface({ input: child.stdout! }).on('line', (l) => process.stderr.write(`[${program}] ${l}\n`));
    child.on('exit', (code) => reject(new Error(`${program} exited ${code}`)));
    setTimeout(() => resolve(child), 3_000);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
async function waitPoolReady(name: string, n: number, timeoutMs = 600_000): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const p = await client.get<Obj>(PoolKind, { namespace: NS, name });
    if (p.status?.readyReplicas === n) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`pool ${name} not Ready in time`);
    await sleep(100);
  }
}

const NS = `bench-claims-${Date.now().toString(36)}`;
await installCrds(kc);
await client.create(NamespaceKind, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
const programs = ['sandbox-controller', 'warmpool-orchestrator', ...Array.from({ length: Number(args.replicas) }, (_, i) => `claim-controller-${i}`)];
const children = await Promise.all([
  startProgram('sandbox-controller', ['--workers=32']),
  startProgram('warmpool-orchestrator', ['--max-create-batch=100']),
  ...Array.from({ length: Number(args.replicas) }, () => startProgram('claim-controller', [`--workers=${args.workers}`])),
]);
const processes: Record<string, number | undefined> = { ...clusterPids(process.env.KUBECONFIG), ...Object.fromEntries(programs.map((p, i) => [p, children[i]!.pid])), bench: process.pid };
const cpuNow = () => Object.fromEntries(Object.entries(processes).map(([k, pid]) => [k, cpuMs(pid)]));
const result: Record<string, unknown> = { rate: RATE, seconds: SECONDS, pool: POOL, claimControllerReplicas: Number(args.replicas), identity: args.identity, programs: args.bundle ? { bundle: 'dist/main.js', nodeFlags: NODE_FLAGS } : 'sources' };
try {
  await client.create(TemplateKind, { apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxTemplate', metadata: { name: 't', namespace: NS }, spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'img:1' }] } } } });
  const poolObj = (name: string) => ({ apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxWarmPool', metadata: { name, namespace: NS }, spec: { replicas: POOL, sandboxTemplateRef: { name: 't' } } });
  await client.create(PoolKind, poolObj('p'));
  result.poolInitialFillMs = await waitPoolReady('p', POOL);

  // The client's own watch: the first Ready=True of each claim.
  const sentAt = new Map<string, number>();
  const readyAt = new Map<string, number>();
  const launch = new Map<string, string>();
  const abort = new AbortController();
  const list = await client.list<Obj>(ClaimKind, { namespace: NS });
  const watching = client.stream(`/apis/extensions.agents.x-k8s.io/v1beta1/namespaces/${NS}/sandboxclaims`, {
    query: { watch: 1, resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
    signal: abort.signal,
    onLine: (e) => {
      const { object } = e as { object: Obj };
      const name = object.metadata?.name;
      if (!name || readyAt.has(name)) return;
      const ready = (object.status?.conditions as Array<{ type: string; status: string }> | undefined)?.find((c) => c.type === 'Ready');
      if (ready?.status === 'True') {
        readyAt.set(name, performance.now());
        launch.set(name, object.status.sandbox.name === name ? 'cold' : 'warm');
      }
    },
  }).catch(() => undefined);

  const before = await apiserverMetrics();
  const cpuBefore = cpuNow();
  const total = Math.round(RATE * SECONDS);
  const t0 = performance.now();
  const creates: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const name = `c-${i}`;
    sentAt.set(name, due); // open loop: latency from the scheduled send
    creates.push(client.create(ClaimKind, { apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxClaim', metadata: { name, namespace: NS }, spec: { warmPoolRef: { name: 'p' } } }));
  }
  await Promise.all(creates);
  const sendSeconds = (performance.now() - t0) / 1000;
  const deadline = Date.now() + 120_000;
  while (readyAt.size < total && Date.now() < deadline) await sleep(100);
  const doneSeconds = (performance.now() - t0) / 1000;
  await waitPoolReady('p', POOL).catch(() => undefined);
  await sleep(2_000); // let trailing writes (first-ready annotations, pod relabels) land
  const after = await apiserverMetrics();
  const cpuAfter = cpuNow();
  abort.abort();
  await watching;

  const lat = [...readyAt.entries()].map(([n, t]) => t - sentAt.get(n)!).sort((a, b) => a - b);
  const writes: Record<string, number> = {};
  const reads: Record<string, number> = {};
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0) (k.startsWith('GET ') ? reads : writes)[k] = Math.round((d / total) * 100) / 100;
  }
  const critical = ['POST sandboxclaims', 'PATCH sandboxclaims', 'PATCH sandboxclaims/status', 'APPLY sandboxclaims/status', 'PATCH sandboxes'].reduce((s, k) => s + (writes[k] ?? 0), 0);
  Object.assign(result, {
    claims: total,
    ready: readyAt.size,
    warm: [...launch.values()].filter((l) => l === 'warm').length,
    cold: [...launch.values()].filter((l) => l === 'cold').length,
    latencyMs: { p50: round(quantile(lat, 0.5)), p90: round(quantile(lat, 0.9)), p99: round(quantile(lat, 0.99)), max: round(lat.at(-1) ?? NaN) },
    claimsPerSecondSustained: round(readyAt.size / doneSeconds),
    sendSeconds: round(sendSeconds),
    cpuMsPerClaim: Object.fromEntries(Object.keys(processes).map((k) => [k, round((cpuAfter[k]! - cpuBefore[k]!) / total)])),
    apiGetsPerClaim: reads,
    apiWritesPerClaim: { total: round(Object.values(writes).reduce((s, v) => s + v, 0)), criticalPathUpperBound: round(critical), byResource: writes },
  });

  if (!args['skip-refill']) {
    const t1 = Date.now();
    await client.create(PoolKind, poolObj('refill'));
    await waitPoolReady('refill', POOL);
    result.refillFromEmptyMs = Date.now() - t1;
  }
} finally {
  for (const c of children) c.kill('SIGTERM');
  for (const file of kubeconfigFiles) rmSync(file, { force: true });
  // Wait for the namespace to be gone: its deletion is heavy work for the control plane, and a
  // benchmark started right after would measure it too.
  await client.delete(NamespaceKind, { name: NS }).catch(() => undefined);
  for (const end = Date.now() + 180_000; Date.now() < end; await sleep(500)) {
    const gone = await client.get(NamespaceKind, { name: NS }).then(() => false, () => true);
    if (gone) break;
  }
  client.close();
}
console.log(JSON.stringify(result, null, 2));
process.exit(0);

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
