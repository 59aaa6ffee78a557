/**
 * Benchmark of the admission webhook as deployed: the program (built bundle, or its source)
 * in its own process serving HTTPS on loopback, a client sending AdmissionReviews the way
 * the API server does (kept-alive connections, a mix of mutate and validate, admitted and
 * refused). Prints one JSON object.
 *
 *   node tools/bench/admission-webhook.ts [--rate 500] [--seconds 20] [--concurrency 32]
 *
 * Phase 1, open loop: requests start at a fixed rate whatever the answers do (no coordinated
 * omission); latency is measured from the scheduled start. Phase 2, closed loop: as many
 * reviews per second as `concurrency` connections can get answered.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '32' },
    connections: { type: 'string', default: '8' },
  },
});
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const CONCURRENCY = Number(args.concurrency);

const ROOT = join(import.meta.dirname, '..', '..');
const built = join(ROOT, 'apps/admission-webhook/dist/main.js');
const entry = existsSync(built) ? built : join(ROOT, 'apps/admission-webhook/src/main.ts');

// ---- the reviews: what the API server sends for a typical mix -------------------------------
const container = (name: string, extra: object = {}) => ({ name, image: 'registry.example/agent:1', resources: { limits: { cpu: '1', memory: '1Gi' } }, ...extra });
const sandbox = (name: string, spec: object) => ({
  apiVersion: 'agents.x-k8s.io/v1beta1',
  kind: 'Sandbox',
  metadata: { name, namespace: 'bench', labels: { team: 'a' } },
  spec: { podTemplate: { metadata: { labels: { app: 'agent' } }, spec } },
});
const review = (uid: string, resource: string, group: string, kind: string, object: object) =>
  JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group, version: 'v1beta1', kind },
      resource: { group, version: 'v1beta1', resource },
      name: (object as { metadata: { name: string } }).metadata.name,
      namespace: 'bench',
      operation: 'CREATE',
      userInfo: { username: 'bench-user', groups: ['system:authenticated'] },
      object,
      oldObject: null,
    },
  });
const goodSpec = { containers: [container('main', { env: Array.from({ length: 10 }, (_, i) => ({ name: `VAR_${i}`, value: `value-${i}` })) }), container('sidecar')], volumes: [{ name: 'work', emptyDir: {} }] };
const REQUESTS: { path: string; body: string }[] = [
  { path: '/mutate', body: review('m-1', 'sandboxes', 'agents.x-k8s.io', 'Sandbox', sandbox('good', goodSpec)) },
  { path: '/validate', body: review('v-1', 'sandboxes', 'agents.x-k8s.io', 'Sandbox', sandbox('good', { ...goodSpec, runtimeClassName: 'gvisor' })) },
  { path: '/validate', body: review('v-2', 'sandboxes', 'agents.x-k8s.io', 'Sandbox', sandbox('bad', { ...goodSpec, hostNetwork: true, containers: [container('main', { securityContext: { privileged: true } })] })) },
  {
    path: '/mutate',
    body: review('m-2', 'sandboxclaims', 'extensions.agents.x-k8s.io', 'SandboxClaim', {
      metadata: { name: 'c', namespace: 'bench' },
      spec: { warmPoolRef: { name: 'pool' }, additionalPodMetadata: { labels: { 'sandbox.users.io/team': 'a' } } },
    }),
  },
  {
    path: '/validate',
    body: review('v-3', 'sandboxwarmpools', 'extensions.agents.x-k8s.io', 'SandboxWarmPool', {
      metadata: { name: 'p', namespace: 'bench' },
      spec: { replicas: 5, sandboxTemplateRef: { name: 't' } },
    }),
  },
];

// ---- the webhook process --------------------------------------------------------------------
const child = spawn(process.execPath, [entry, '--bind-address=127.0.0.1:0', '--health-probe-bind-address=127.0.0.1:0', '--no-patch-ca-bundle', '--allowed-runtime-classes=gvisor', '--default-runtime-class=gvisor'], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, KUBECONFIG: '' },
});
let healthPort = 0;
const port = await new Promise<number>((resolve, reject) => {
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const record = JSON.parse(line) as { msg?: string; port?: number };
    if (record.msg === 'serving health probes') healthPort = record.port!;
    if (record.msg === 'serving admission webhooks over HTTPS') resolve(record.port!);
  });
  child.on('exit', (code) => reject(new Error(`webhook exited with ${code}`)));
  setTimeout(() => reject(new Error('the webhook did not start serving within 30 s')), 30_000).unref();
});

const agent = new Agent({ keepAlive: true, maxSockets: Number(args.connections), rejectUnauthorized: false });
function send(i: number): Promise<void> {
  const { path, body } = REQUESTS[i % REQUESTS.length]!;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const round = (ms: number) => Math.round(ms * 1000) / 1000;

// warm-up: JIT, TLS sessions
for (let i = 0; i < 500; i++) await send(i);

// ---- phase 1: open loop at RATE ---------------------------------------------------------------
const latencies: number[] = [];
let errors = 0;
const total = RATE * SECONDS;
const interval = 1000 / RATE;
const start = performance.now();
const inflight: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const scheduled = start + i * interval;
  const wait = scheduled - performance.now();
  // Never send before the scheduled time (that would report negative latencies).
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  // Timers may fire up to a millisecond early by this clock: spin out the remainder.
  while (performance.now() < scheduled) continue;
  inflight.push(
    send(i).then(
      () => void latencies.push(performance.now() - scheduled),
      () => void errors++,
    ),
  );
  if (inflight.length > 1000) await Promise.all(inflight.splice(0, inflight.length - 500));
}
await Promise.all(inflight);
const openSeconds = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);

// ---- the server's own view: its histogram of handler time, during the open loop -------------------
/** The upper bound of the bucket holding the p-th percentile, in ms, per webhook path. */
async function serverPercentiles(p: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
  const buckets = new Map<string, [number, number][]>();
  for (const m of text.matchAll(/^agent_sandbox_webhook_review_duration_seconds_bucket\{le="([^"]+)",webhook="(\w+)"\} (\d+)/gm)) {
    const list = buckets.get(m[2]!) ?? [];
    list.push([m[1] === '+Inf' ? Infinity : Number(m[1]) * 1000, Number(m[3])]);
    buckets.set(m[2]!, list);
  }
  const out: Record<string, number> = {};
  for (const [webhook, list] of buckets) {
    const count = list[list.length - 1]![1];
    out[webhook] = list.find(([, n]) => n >= (p / 100) * count)![0];
  }
  return out;
}
const serverP99 = await serverPercentiles(99);
const serverP50 = await serverPercentiles(50);
// ---- phase 2: closed loop, as fast as it goes -------------------------------------------------
let done = 0;
const closedStart = performance.now();
const closedUntil = closedStart + 5_000;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async (_, w) => {
    for (let i = w; performance.now() < closedUntil; i += CONCURRENCY) {
      await send(i).catch(() => errors++);
      done++;
    }
  }),
);
const closedSeconds = (performance.now() - closedStart) / 1000;

agent.destroy();
child.kill('SIGTERM');

console.log(
  JSON.stringify(
    {
      benchmark: 'admission-webhook',
      transport: 'HTTPS, loopback, kept-alive connections',
      entry: entry.replace(`${ROOT}/`, ''),
      openLoop: {
        targetRate: RATE,
        seconds: SECONDS,
        achievedRate: Math.round(latencies.length / openSeconds),
        requests: latencies.length,
        errors,
        latencyMs: {
          p50: round(percentile(latencies, 50)),
          p90: round(percentile(latencies, 90)),
          p99: round(percentile(latencies, 99)),
          p999: round(percentile(latencies, 99.9)),
          max: round(latencies[latencies.length - 1] ?? NaN),
        },
      },
      closedLoop: { concurrency: CONCURRENCY, reviewsPerSecond: Math.round(done / closedSeconds) },
      serverHandlerMs: { note: 'server-side, open loop (and warm-up) only: upper bound of the histogram bucket holding the percentile', p50: serverP50, p99: serverP99 },
      goal: { p99Ms: 5, met: percentile(latencies, 99) < 5 },
    },
    null,
    2,
  ),
);
