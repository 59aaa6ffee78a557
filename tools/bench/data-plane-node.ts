/**
 * Benchmark of the data plane on the real node, as an agent feels it. Prints one JSON object.
 *
 *   node tools/bench/data-plane-node.ts [--sandboxes 50] [--requests 400] [--rounds 4] [--cluster <name>] [--no-python]
 *
 * Setup (not timed): a cluster with a real node (`--cluster` reuses a running one, else one is
 * started and removed), the sandbox-runtime and sandbox-router images loaded into the node, the
 * router installed from its chart (authorization on) and reached at its Service's ClusterIP,
 * the sandbox-controller, claim-controller and warmpool-orchestrator as processes, a template
 * whose container is the runtime and a warm pool of 3.
 *
 * 1. Time to first result: SDK `create` (a claim from the warm pool, Ready) → first `run`
 *    (`python3 -c 'print(6*7)'`) returns, for `--sandboxes` sandboxes one after another; before
 *    each, the pool is back to full, so each claim is served warm. The create part alone too.
 *    Then the same with the Python SDK (tools/bench/data-plane-node.py; `--no-python` skips it).
 * 2. Router overhead per request: the runtime's `GET /` straight to the Pod IP, and through the
 *    router (bearer token, TokenReview + SubjectAccessReview answered from its cache), in
 *    alternating blocks (`--rounds`), so both see the same machine load; the spread of the
 *    per-round medians is the noise.
 * 3. `/execute` of `true`, direct and through the router, the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { SANDBOX, SANDBOX_CLAIM, SANDBOX_TEMPLATE, SANDBOX_WARM_POOL } from '@agent-sandbox/api';
import { installCrds } from '@agent-sandbox/api/crds';
import { buildProgramImages, helm as helmOk, realNodeRuntimePodSpec } from '@agent-sandbox/chart-tools';
import { ControlPlane, REAL_NODE_PLACEMENT, waitFor } from '@agent-sandbox/controlplane';
import { PROGRAM_NODE_FLAGS } from '@agent-sandbox/images';
import { Kinds, KubeClient, type KubeObject, type ResourceKind } from '@agent-sandbox/runtime';
import { SandboxClient } from '@agent-sandbox/sdk';

const { values: args } = parseArgs({
  options: {
    sandboxes: { type: 'string', default: '50' },
    requests: { type: 'string', default: '400' },
    rounds: { type: 'string', default: '4' },
    cluster: { type: 'string' },
    python: { type: 'boolean', default: true },
  },
});
const SANDBOXES = Number(args.sandboxes);
const REQUESTS = Number(args.requests);
const ROUNDS = Number(args.rounds);
const POOL = 3;
const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const say = (line: string) => process.stderr.write(`bench: ${line}\n`);
const children: ChildProcess[] = [];
process.once('exit', () => children.forEach((c) => c.kill('SIGKILL')));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

interface Stats {
  n: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  min_ms: number;
  max_ms: number;
}
function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Number(s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(2));
  return { n: s.length, p50_ms: at(0.5), p90_ms: at(0.9), p99_ms: at(0.99), min_ms: Number(s[0]!.toFixed(2)), max_ms: Number(s.at(-1)!.toFixed(2)) };
}
const median = (xs: number[]) => stats(xs).p50_ms;

/**
 * Starts a program's bundle and resolves at its `started` log line (info level: a program run
 * with `--log-level=warn` never prints it, which is how this benchmark once waited forever with
 * no CPU). Its output keeps being read, so a full pipe never stalls it; a start that takes
 * longer than a minute fails with the program's last lines.
 */
function startProgram(program: string, argv: string[]): Promise<void> {
  const built = join(ROOT, 'apps', program, 'dist', 'main.js');
  if (!existsSync(built)) throw new Error(`${built} is missing: run npm run build first`);
  const child = spawn(NODE, [...PROGRAM_NODE_FLAGS, built, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const last: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${program} printed no "started" line in 60 s; last lines:\n${last.join('\n')}`)), 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      last.push(line);
      if (last.length > 20) last.shift();
      if (line.includes('"msg":"started"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${program} exited (${code}):\n${last.join('\n')}`));
    });
  });
}

async function helm(argv: string[], kubeconfig: string): Promise<void> {
  await helmOk([...argv, '--kubeconfig', kubeconfig]);
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });
function call(url: string, path: string, headers: Record<string, string>, body?: string): Promise<void> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, path, method: body ? 'POST' : 'GET', headers: { ...headers, ...(body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}) }, agent },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Direct and routed, in alternating blocks; per-request samples of each, and each round's medians. */
async function alternate(direct: () => Promise<void>, routed: () => Promise<void>) {
  for (let i = 0; i < 50; i++) {
    await direct();
    await routed();
  }
  const all = { direct: [] as number[], routed: [] as number[] };
  const rounds: Array<{ direct_p50_ms: number; routed_p50_ms: number; overhead_p50_ms: number }> = [];
  const per = Math.ceil(REQUESTS / ROUNDS);
  for (let r = 0; r < ROUNDS; r++) {
    const block = { direct: [] as number[], routed: [] as number[] };
    for (const [kind, one] of [['direct', direct], ['routed', routed]] as const) {
      for (let i = 0; i < per; i++) {
        const t = performance.now();
        await one();
        block[kind].push(performance.now() - t);
      }
    }
    all.direct.push(...block.direct);
    all.routed.push(...block.routed);
    rounds.push({ direct_p50_ms: median(block.direct), routed_p50_ms: median(block.routed), overhead_p50_ms: Number((median(block.routed) - median(block.direct)).toFixed(2)) });
  }
  const d = stats(all.direct);
  const v = stats(all.routed);
  const spread = rounds.map((r) => r.overhead_p50_ms);
  return {
    direct: d,
    via_router: v,
    overhead: { p50_ms: Number((v.p50_ms - d.p50_ms).toFixed(2)), p99_ms: Number((v.p99_ms - d.p99_ms).toFixed(2)) },
    rounds,
    overhead_p50_range_ms: [Math.min(...spread), Math.max(...spread)],
  };
}

/**
 * `--sandboxes` rounds of create → first run through the Python SDK (tools/bench/data-plane-node.py,
 * the system Python with the SDK from libs/python-sdk): one `go` line per round, after the pool
 * is full again; each answer is one JSON line of seconds, timed inside Python.
 */
async function pythonFirstResults(kubeconfig: string, routerUrl: string, poolFull: () => Promise<void>) {
  const child = spawn('/usr/bin/python3', [join(import.meta.dirname, 'data-plane-node.py'), kubeconfig, routerUrl, 'python'], {
    env: { ...process.env, PYTHONPATH: join(ROOT, 'libs', 'python-sdk'), PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, number | boolean>> => {
    const r = await lines.next();
    if (r.done) throw new Error(`the Python SDK's loop ended early (exit ${child.exitCode})`);
    return JSON.parse(r.value) as Record<string, number | boolean>;
  };
  await next();
  const first: number[] = [];
  const create: number[] = [];
  for (let i = 0; i < SANDBOXES; i++) {
    await poolFull();
    child.stdin!.write('go\n');
    const r = await next();
    first.push((r.first_result_s as number) * 1000);
    create.push((r.create_s as number) * 1000);
  }
  child.stdin!.end();
  await new Promise((resolve) => child.once('close', resolve));
  return { first_result: stats(first), create_only: stats(create), samples: first };
}

const ServiceAccount: ResourceKind = { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true };
const rbac = { group: 'rbac.authorization.k8s.io', version: 'v1', namespaced: true };

let cluster: ControlPlane | undefined;
let owned = false;
if (args.cluster) {
  cluster = await ControlPlane.open(args.cluster);
  if (!cluster) throw new Error(`no cluster named ${args.cluster}`);
} else {
  say('starting a local control plane with a real node');
  cluster = await ControlPlane.up({ name: `bench-dpn-${process.pid}`, ownerPid: process.pid, preload: [join(ROOT, 'deploy', 'crds')], realNode: true, progress: say });
  owned = true;
}
const kubeconfig = cluster.kubeconfigPath;
const node = cluster.realNode;
if (!node) throw new Error(`cluster ${cluster.name} has no real node`);
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
await installCrds(kc);
const admin = new KubeClient(kc);
const ns = `bench-dpn-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'bench-dpn-'));
let client: SandboxClient | undefined;
try {
  say('building the runtime and router images');
  const images = await buildProgramImages(['sandbox-runtime', 'sandbox-router'], say);
  say('loading them into the node');
  await node.importImages(images.archive);
  const runtimeImage = images.refs['sandbox-runtime']!;

  await admin.create(Kinds.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  // Info level, as they ship: their `started` line is what says they are up.
  const programArgs = [`--kubeconfig=${kubeconfig}`, `--watch-namespace=${ns}`, `--leader-election-namespace=${ns}`, '--health-probe-bind-address=0'];
  say('starting the sandbox-controller, claim-controller and warmpool-orchestrator');
  await Promise.all(['sandbox-controller', 'claim-controller', 'warmpool-orchestrator'].map((p) => startProgram(p, programArgs)));
  say('installing the router from its chart');
  await helm(
    [
      'install', 'sandbox-router', join(ROOT, 'deploy', 'charts', 'agent-sandbox', 'charts', 'sandbox-router'), '--namespace', ns,
      '--set', 'global.image.pullPolicy=Never', '--set', `watchNamespace=${ns}`, '--set', 'logLevel=warn',
      '--set', 'livenessProbe.timeoutSeconds=5', '--set', 'livenessProbe.failureThreshold=6', '--set', 'readinessProbe.timeoutSeconds=5',
      '--set-json', `nodeSelector=${JSON.stringify(REAL_NODE_PLACEMENT.nodeSelector)}`, '--set-json', `tolerations=${JSON.stringify(REAL_NODE_PLACEMENT.tolerations)}`,
    ],
    kubeconfig,
  );

  await admin.create(SANDBOX_TEMPLATE, {
    apiVersion: SANDBOX_TEMPLATE.apiVersion,
    kind: SANDBOX_TEMPLATE.kind,
    metadata: { name: 'python-runtime', namespace: ns },
    spec: { podTemplate: { spec: realNodeRuntimePodSpec(runtimeImage) } },
  });
  await admin.create(SANDBOX_WARM_POOL, {
    apiVersion: SANDBOX_WARM_POOL.apiVersion,
    kind: SANDBOX_WARM_POOL.kind,
    metadata: { name: 'python', namespace: ns },
    spec: { replicas: POOL, sandboxTemplateRef: { name: 'python-runtime' } },
  });

  // An agent: a ServiceAccount that may manage claims (and get Sandboxes, for the direct-vs-router part).
  await admin.create(ServiceAccount, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'agent', namespace: ns } });
  await admin.create({ ...rbac, kind: 'Role', plural: 'roles' }, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'agent', namespace: ns },
    rules: [
      { apiGroups: [SANDBOX_CLAIM.group], resources: [SANDBOX_CLAIM.plural], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
      { apiGroups: [SANDBOX.group], resources: [SANDBOX.plural], verbs: ['get'] },
    ],
  });
  await admin.create({ ...rbac, kind: 'RoleBinding', plural: 'rolebindings' }, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'agent', namespace: ns },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'agent' },
    subjects: [{ kind: 'ServiceAccount', name: 'agent', namespace: ns }],
  });
  const token = (await admin.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${ns}/serviceaccounts/agent/token`, { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} } })).status.token;
  const server = kc.getCurrentCluster()!;
  const agentKubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    agentKubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: server.server, ...(server.caFile ? { 'certificate-authority': server.caFile } : { 'certificate-authority-data': server.caData }) } }],
      users: [{ name: 'agent', user: { token } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'agent', namespace: ns } }],
      'current-context': 'c',
    }),
    { mode: 0o600 },
  );

  const service = await admin.get<KubeObject & { spec: { clusterIP: string } }>(Kinds.Service, { namespace: ns, name: 'sandbox-router' });
  const routerUrl = `http://${service.spec.clusterIP}:8080`;
  const poolFull = (): Promise<void> =>
    waitFor('the warm pool to be full', async () => ((await admin.get<KubeObject & { status?: { readyReplicas?: number } }>(SANDBOX_WARM_POOL, { namespace: ns, name: 'python' })).status?.readyReplicas ?? 0) >= POOL, 180_000, 50);
  say('waiting for the warm pool');
  await poolFull();
  say(`router at ${routerUrl}; pool of ${POOL} Ready`);
  client = new SandboxClient({ kubeconfig: agentKubeconfig, connection: { mode: 'router', url: routerUrl } });

  // The router Pod's readiness and its first watch: one claim end to end before measuring.
  await waitFor('a first sandbox through the router', async () => {
    await using s = await client!.create({ warmPool: 'python' });
    return (await s.run('true')).exitCode === 0;
  }, 120_000, 500);

  // ---- 1. create → first run ---------------------------------------------------------------
  const firstResult: number[] = [];
  const createOnly: number[] = [];
  for (let i = 0; i < SANDBOXES; i++) {
    await poolFull();
    const t0 = performance.now();
    const sandbox = await client.create({ warmPool: 'python' });
    const t1 = performance.now();
    const r = await sandbox.run("python3 -c 'print(6*7)'");
    const t2 = performance.now();
    if (r.stdout !== '42\n') throw new Error(`unexpected output ${JSON.stringify(r)}`);
    createOnly.push(t1 - t0);
    firstResult.push(t2 - t0);
    await sandbox.terminate();
  }
  say(`create → first run (TypeScript SDK): p50 ${stats(firstResult).p50_ms} ms, p99 ${stats(firstResult).p99_ms} ms`);

  // ---- 1b. the same with the Python SDK (one client kept, as an agent keeps it) ---------------
  const python = args.python ? await pythonFirstResults(agentKubeconfig, routerUrl, poolFull) : undefined;
  if (python) say(`create → first run (Python SDK): p50 ${python.first_result.p50_ms} ms, p99 ${python.first_result.p99_ms} ms`);

  // ---- 2, 3. router overhead, /execute ------------------------------------------------------
  await poolFull();
  const held = await client.create({ warmPool: 'python' });
  const podIp = held.podIPs[0]!;
  const podUrl = `http://${podIp}:8888`;
  const headers = { 'x-sandbox-id': held.sandboxName, 'x-sandbox-namespace': ns, authorization: `Bearer ${token}` };
  const executeTrue = JSON.stringify({ command: 'true' });
  const get = await alternate(() => call(podUrl, '/', {}), () => call(routerUrl, '/', headers));
  const execute = await alternate(() => call(podUrl, '/execute', {}, executeTrue), () => call(routerUrl, '/execute', headers, executeTrue));
  await held.terminate();

  const noise = (xs: number[]) => {
    const s = stats(xs);
    return { p50_ms: s.p50_ms, p99_ms: s.p99_ms, spread_p90_over_p50: Number((s.p90_ms / s.p50_ms).toFixed(2)) };
  };
  console.log(
    JSON.stringify(
      {
        machine: { cpus: cpus().length, node: process.version, load_average: (await import('node:os')).loadavg().map((l) => Number(l.toFixed(2))) },
        warm_pool: POOL,
        create_to_first_run: { ...stats(firstResult), create_only: stats(createOnly), noise: noise(firstResult) },
        ...(python ? { create_to_first_run_python: { ...python.first_result, create_only: python.create_only, noise: noise(python.samples) } } : {}),
        router_overhead_get: get,
        execute_true: execute,
      },
      null,
      2,
    ),
  );
} finally {
  await client?.close().catch(() => undefined);
  await helm(['uninstall', 'sandbox-router', '--namespace', ns, '--wait=false'], kubeconfig).catch(() => undefined);
  for (const c of children) c.kill('SIGTERM');
  await admin.delete(Kinds.Namespace, { name: ns }).catch(() => undefined);
  admin.close();
  agent.destroy();
  rmSync(dir, { recursive: true, force: true });
  if (owned) await cluster.down();
}
