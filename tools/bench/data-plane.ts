/**
 * Benchmark of the data plane on this machine: the sandbox-runtime and the sandbox-router as
 * processes (their built bundles, else their sources), requests over kept-alive connections.
 * Prints one JSON object.
 *
 *   node tools/bench/data-plane.ts [--requests 2000] [--concurrency 8]
 *
 * 1. `/execute` of a trivial command (`true`) against the runtime on loopback: latency of one
 *    request at a time, and throughput with `concurrency` in flight.
 * 2. Router overhead: the runtime's `GET /` straight to it, then through the router without and
 *    with authorization (TokenReview + SubjectAccessReview, answered from its cache after the
 *    first request); the difference of the medians is the router's cost per request.
 * The router needs a cluster to watch: the one named by KUBECONFIG, else a local control plane
 * started (and removed) for the run. The Pod it routes to is at this machine's own address.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { nameHash, SANDBOX } from '@agent-sandbox/api';
import { installCrds } from '@agent-sandbox/api/crds';
import { ControlPlane } from '@agent-sandbox/controlplane';
import { Kinds, KubeClient, type KubeObject } from '@agent-sandbox/runtime';

const { values: args } = parseArgs({ options: { requests: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '8' } } });
const REQUESTS = Number(args.requests);
const CONCURRENCY = Number(args.concurrency);
const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const entry = (program: string) => {
  const built = join(ROOT, 'apps', program, 'dist', 'main.js');
  return existsSync(built) ? built : join(ROOT, 'apps', program, 'src', 'main.ts');
};
const say = (line: string) => process.stderr.write(`bench: ${line}\n`);
const children: ChildProcess[] = [];
process.once('exit', () => children.forEach((c) => c.kill('SIGKILL')));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

function host(): string {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  throw new Error('no non-loopback IPv4 address to stand in for a Pod IP');
}

/** Starts a program and resolves with the first JSON log line that has `msg`. */
function start(program: string, argv: string[], msg: string, options: { uid?: number; env?: Record<string, string> } = {}): Promise<Record<string, unknown>> {
  const child = spawn(NODE, [entry(program), ...argv], { stdio: ['ignore', 'pipe', 'inherit'], ...(options.uid ? { uid: options.uid, gid: options.uid } : {}), env: { ...process.env, ...options.env } });
  children.push(child);
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const record = JSON.parse(line) as Record<string, unknown>;
        if (record.msg === msg) resolve(record);
      } catch {
        // not a log line
      }
    });
    child.once('exit', (code) => reject(new Error(`${program} exited (${code})`)));
  });
}

interface Stats {
  requests: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  per_second: number;
}

function stats(samples: number[], wallMs: number): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(3));
  return { requests: samples.length, p50_ms: at(0.5), p90_ms: at(0.9), p99_ms: at(0.99), max_ms: at(1), per_second: Math.round((samples.length / wallMs) * 1000) };
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
function call(url: string, path: string, headers: Record<string, string>, body?: string): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: body ? 'POST' : 'GET', headers: { ...headers, ...(body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}) }, agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(res.statusCode) : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `count` requests, `concurrency` at a time; per-request latency and the wall time. */
async function measure(count: number, concurrency: number, one: () => Promise<unknown>): Promise<Stats> {
  for (let i = 0; i < Math.min(100, count); i++) await one(); // warm-up: connections, JIT, caches
  const samples: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < count) {
        const t = performance.now();
        await one();
        samples.push(performance.now() - t);
      }
    }),
  );
  return stats(samples, performance.now() - started);
}

// ---- the runtime ----------------------------------------------------------------------------
const address = host();
const uid = 3_500_000 + (process.pid % 100_000);
const base = mkdtempSync(join(tmpdir(), 'bench-runtime-'));
chownSync(base, uid, uid);
const runtimeLog = await start('sandbox-runtime', [`--listen-host=${address}`, '--port=0', `--sandbox-base-dir=${base}`], 'serving the runtime API', {
  uid,
  env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
});
const runtimePort = runtimeLog.port as number;
const runtimeUrl = `http://${address}:${runtimePort}`;
say(`runtime at ${runtimeUrl} as uid ${uid}`);
const executeTrue = JSON.stringify({ command: 'true' });
const execute = {
  sequential: await measure(REQUESTS, 1, () => call(runtimeUrl, '/execute', {}, executeTrue)),
  concurrent: await measure(REQUESTS, CONCURRENCY, () => call(runtimeUrl, '/execute', {}, executeTrue)),
};
say(`/execute p50 ${execute.sequential.p50_ms} ms, p99 ${execute.sequential.p99_ms} ms`);

// ---- the router -----------------------------------------------------------------------------
let cluster: ControlPlane | undefined;
let kubeconfig = process.env.KUBECONFIG;
if (!kubeconfig) {
  say('no KUBECONFIG: starting a local control plane');
  cluster = await ControlPlane.up({ name: `bench-dataplane-${process.pid}`, ownerPid: process.pid, preload: [join(ROOT, 'deploy', 'crds')], progress: say });
  kubeconfig = cluster.kubeconfigPath;
}
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
await installCrds(kc);
const admin = new KubeClient(kc);
const ns = `bench-dataplane-${process.pid}`;
await admin.create(Kinds.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
try {
  // A Ready Sandbox whose Pod is at this machine's address (no controller runs: the bench writes
  // the status a controller and a kubelet would).
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const sandbox = await admin.create<KubeObject>(SANDBOX, {
    apiVersion: SANDBOX.apiVersion,
    kind: SANDBOX.kind,
    metadata: { name: 'bench', namespace: ns },
    spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'registry.example/runtime:1' }] } } },
  });
  await admin.patch(SANDBOX, { namespace: ns, name: 'bench' }, { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'DependenciesReady', message: 'Pod is Ready', lastTransitionTime: now, observedGeneration: 1 }] } }, { type: 'merge', subresource: 'status' });
  await admin.create(Kinds.Pod, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'bench', namespace: ns, labels: { 'agents.x-k8s.io/sandbox-name-hash': nameHash('bench') }, ownerReferences: [{ apiVersion: SANDBOX.apiVersion, kind: SANDBOX.kind, name: 'bench', uid: sandbox.metadata.uid!, controller: true }] },
    spec: { schedulerName: 'no-such-scheduler', containers: [{ name: 'main', image: 'registry.example/runtime:1' }] },
  });
  await admin.patch(Kinds.Pod, { namespace: ns, name: 'bench' }, { status: { phase: 'Running', podIP: address, podIPs: [{ ip: address }], conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } }, { type: 'merge', subresource: 'status' });
  // A caller allowed to get the Sandbox, for the authorized router.
  await admin.create({ group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true }, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'caller', namespace: ns } });
  const rbac = { group: 'rbac.authorization.k8s.io', version: 'v1', namespaced: true };
  await admin.create({ ...rbac, kind: 'Role', plural: 'roles' }, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'caller', namespace: ns }, rules: [{ apiGroups: [SANDBOX.group], resources: [SANDBOX.plural], verbs: ['get'] }] });
  await admin.create({ ...rbac, kind: 'RoleBinding', plural: 'rolebindings' }, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'caller', namespace: ns },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'caller' },
    subjects: [{ kind: 'ServiceAccount', name: 'caller', namespace: ns }],
  });
  const token = (await admin.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${ns}/serviceaccounts/caller/token`, { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} } })).status.token;

  const routerArgs = [`--kubeconfig=${kubeconfig}`, `--watch-namespace=${ns}`, '--bind-address=127.0.0.1:0', '--health-probe-bind-address=0'];
  const [open, authorized] = await Promise.all([
    start('sandbox-router', [...routerArgs, '--no-authorization'], 'serving the proxy'),
    start('sandbox-router', routerArgs, 'serving the proxy'),
  ]);
  const headers = { 'x-sandbox-id': 'bench', 'x-sandbox-namespace': ns, 'x-sandbox-port': String(runtimePort) };
  // The router's watch may not have the Pod yet.
  for (let i = 0; ; i++) {
    try {
      await call(`http://127.0.0.1:${open.port}`, '/', headers);
      break;
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const direct = await measure(REQUESTS, 1, () => call(runtimeUrl, '/', {}));
  const viaRouter = await measure(REQUESTS, 1, () => call(`http://127.0.0.1:${open.port}`, '/', headers));
  const viaAuthorizedRouter = await measure(REQUESTS, 1, () => call(`http://127.0.0.1:${authorized.port}`, '/', { ...headers, authorization: `Bearer ${token}` }));
  const executeViaRouter = await measure(REQUESTS, 1, () => call(`http://127.0.0.1:${authorized.port}`, '/execute', { ...headers, authorization: `Bearer ${token}` }, executeTrue));
  const overhead = (s: Stats) => ({ p50_ms: Number((s.p50_ms - direct.p50_ms).toFixed(3)), p99_ms: Number((s.p99_ms - direct.p99_ms).toFixed(3)) });

  console.log(
    JSON.stringify(
      {
        machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
        runtime_execute_true: execute,
        router: {
          direct_get: direct,
          via_router_get: viaRouter,
          via_router_with_authorization_get: viaAuthorizedRouter,
          overhead: overhead(viaRouter),
          overhead_with_authorization: overhead(viaAuthorizedRouter),
          execute_true_via_router_with_authorization: executeViaRouter,
        },
      },
      null,
      2,
    ),
  );
} finally {
  for (const c of children) c.kill('SIGTERM');
  await admin.delete(Kinds.Namespace, { name: ns }).catch(() => undefined);
  admin.close();
  agent.destroy();
  rmSync(base, { recursive: true, force: true });
  if (cluster) await cluster.down();
}
