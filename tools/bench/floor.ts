/**
 * The least work the control plane does per warm claim, with no controller of ours running: what
 * any implementation of the standard pays, measured on this machine. Each iteration makes only
 * the writes a served-and-replaced warm claim cannot do without:
 *
 *   refill:  POST Sandbox, POST Pod (the scheduler then binds it and records an Event; kwok marks
 *            it Running and Ready), PATCH the Sandbox's status to Ready;
 *   claim:   POST SandboxClaim, PATCH the Sandbox (controller reference moved to the claim),
 *            PATCH the claim's status to Ready.
 *
 * Nine writes in all, where a real controller adds its own (reservation, Events, relabelling,
 * status bookkeeping). Iterations start at a fixed rate (open loop); the script prints one JSON
 * object: CPU milliseconds per iteration of each control-plane process (from /proc), the cores
 * that makes at the rate, the rate actually sustained, and the claim part's latency.
 *
 *   KUBECONFIG=~/.cache/agent-sandbox/clusters/<name>/kubeconfig/admin.yaml node tools/bench/floor.ts [--rate 50] [--seconds 10]
 */
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { installCrds } from '@agent-sandbox/api/crds';
import { cpuMs } from '@agent-sandbox/controlplane';
import { KubeClient, Kinds, type KubeObject, type ResourceKind } from '@agent-sandbox/runtime';
import { clusterPids } from './src/proc.ts';

const { values: args } = parseArgs({ options: { rate: { type: 'string', default: '50' }, seconds: { type: 'string', default: '10' } } });
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);

const kubeconfigPath = process.env.KUBECONFIG;
if (!kubeconfigPath) throw new Error('floor: set KUBECONFIG to a cluster made by `npm run cluster -- up`');
const processes: Record<string, number> = { ...clusterPids(kubeconfigPath), bench: process.pid };

const kc = new KubeConfig();
kc.loadFromFile(kubeconfigPath);
const client = new KubeClient(kc);

const SandboxKind: ResourceKind = { group: 'agents.x-k8s.io', version: 'v1beta1', kind: 'Sandbox', plural: 'sandboxes', namespaced: true };
const ClaimKind: ResourceKind = { group: 'extensions.agents.x-k8s.io', version: 'v1beta1', kind: 'SandboxClaim', plural: 'sandboxclaims', namespaced: true };

const cpuNow = () => Object.fromEntries(Object.entries(processes).map(([k, pid]) => [k, cpuMs(pid)]));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number) => Math.round(x * 10) / 10;
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const time = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

const NS = `bench-floor-${Date.now().toString(36)}`;
const ref = (name: string) => ({ namespace: NS, name });
const ready = (generation: number) => [{ type: 'Ready', status: 'True', reason: 'DependenciesReady', message: 'Pod is Ready', lastTransitionTime: time(), observedGeneration: generation }];

/** Pods seen Ready by this script's one watch, and who waits for which. */
const podsReady = new Set<string>();
const podWaiters = new Map<string, () => void>();
function waitPodReady(name: string): Promise<void> {
  if (podsReady.has(name)) return Promise.resolve();
  return new Promise((resolve) => podWaiters.set(name, resolve));
}
function watchPods(signal: AbortSignal, resourceVersion: string | undefined): Promise<unknown> {
  return client.stream(`/api/v1/namespaces/${NS}/pods`, {
    query: { watch: 1, resourceVersion, allowWatchBookmarks: true },
    signal,
    onLine: (e) => {
      const pod = (e as { object: KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } } }).object;
      const name = pod.metadata?.name;
      if (!name || !pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return;
      podsReady.add(name);
      podWaiters.get(name)?.();
      podWaiters.delete(name);
    },
  }).catch(() => undefined);
}

async function iteration(i: number): Promise<number> {
  const name = `m-${i}`;
  // Refill: a member Sandbox and its Pod, Ready.
  const sandbox = await client.create<KubeObject>(SandboxKind, {
    apiVersion: 'agents.x-k8s.io/v1beta1',
    kind: 'Sandbox',
    metadata: { name, namespace: NS, labels: { 'agents.x-k8s.io/warm-pool-sandbox': 'floor' } },
    spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'img:1' }] } } },
  });
  await client.create(Kinds.Pod, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, ownerReferences: [{ apiVersion: 'agents.x-k8s.io/v1beta1', kind: 'Sandbox', name, uid: sandbox.metadata.uid!, controller: true, blockOwnerDeletion: true }] },
    spec: { containers: [{ name: 'main', image: 'img:1' }], automountServiceAccountToken: false },
  });
  await waitPodReady(name);
  await client.patch(SandboxKind, ref(name), { status: { conditions: ready(1) } }, { type: 'merge', subresource: 'status' });
  // The claim: created, the member taken in one write, the claim Ready.
  const t0 = performance.now();
  const claim = await client.create<KubeObject>(ClaimKind, { apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxClaim', metadata: { name: `c-${i}`, namespace: NS }, spec: { warmPoolRef: { name: 'floor' } } });
  await client.patch(SandboxKind, ref(name), {
    metadata: {
      labels: { 'agents.x-k8s.io/warm-pool-sandbox': null, 'agents.x-k8s.io/claim-uid': claim.metadata.uid },
      ownerReferences: [{ apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxClaim', name: `c-${i}`, uid: claim.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
  }, { type: 'merge' });
  await client.patch(ClaimKind, ref(`c-${i}`), { status: { sandbox: { name }, conditions: ready(1) } }, { type: 'merge', subresource: 'status' });
  return performance.now() - t0;
}

await installCrds(kc);
await client.create(Kinds.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
const result: Record<string, unknown> = { rate: RATE, seconds: SECONDS, writesPerIteration: 9 };
try {
  const total = Math.round(RATE * SECONDS);
  const abort = new AbortController();
  const list = await client.list(Kinds.Pod, { namespace: NS });
  const watching = watchPods(abort.signal, list.metadata?.resourceVersion);
  const before = cpuNow();
  const t0 = performance.now();
  const running: Promise<number>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / RATE - performance.now();
    if (wait > 0) await sleep(wait);
    running.push(iteration(i));
  }
  const claimLatencies = (await Promise.all(running)).sort((a, b) => a - b);
  const seconds = (performance.now() - t0) / 1000;
  await sleep(1_000); // the last Events and status updates
  const after = cpuNow();
  abort.abort();
  await watching;
  const cpuMsPerIteration = Object.fromEntries(Object.keys(processes).map((k) => [k, round((after[k]! - before[k]!) / total)]));
  const controlPlane = Object.entries(cpuMsPerIteration).filter(([k]) => k !== 'bench').reduce((s, [, v]) => s + v, 0);
  Object.assign(result, {
    iterations: total,
    iterationsPerSecondSustained: round(total / seconds),
    cpuMsPerIteration,
    controlPlaneCpuMsPerIteration: round(controlPlane),
    controlPlaneCoresAtRate: round((controlPlane * RATE) / 1000),
    claimPartLatencyMs: { p50: round(quantile(claimLatencies, 0.5)), p99: round(quantile(claimLatencies, 0.99)) },
  });
} finally {
  await client.delete(Kinds.Namespace, { name: NS }).catch(() => undefined);
  for (const end = Date.now() + 180_000; Date.now() < end; await sleep(500)) {
    if (await client.get(Kinds.Namespace, { name: NS }).then(() => false, () => true)) break;
  }
  client.close();
}
console.log(JSON.stringify(result, null, 2));
