/**
 * What one API write of each kind on the claim path costs the API server and etcd, in CPU
 * milliseconds. Runs each write kind `--count` times (8 in flight) against the cluster named by
 * KUBECONFIG and reads the processes' CPU time from /proc before and after. Prints one JSON
 * object: per kind, CPU ms per write for kube-apiserver and etcd, and the client's wall time.
 *
 *   KUBECONFIG=~/.cache/agent-sandbox/clusters/<name>/kubeconfig/admin.yaml node tools/bench/write-cost.ts [--count 400]
 *
 * The pids come from the cluster's state.json next to the kubeconfig (a cluster made by
 * `npm run cluster -- up`). Nothing else should be running against the cluster meanwhile.
 */
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { installCrds } from '@agent-sandbox/api/crds';
import { cpuMs } from '@agent-sandbox/controlplane';
import { KubeClient, Kinds, type KubeObject, type PatchType, type ResourceKind } from '@agent-sandbox/runtime';
import { clusterPids } from './src/proc.ts';

const { values: args } = parseArgs({ options: { count: { type: 'string', default: '400' }, concurrency: { type: 'string', default: '8' }, only: { type: 'string' } } });
const COUNT = Number(args.count);
const CONCURRENCY = Number(args.concurrency);

const kubeconfigPath = process.env.KUBECONFIG;
if (!kubeconfigPath) throw new Error('write-cost: set KUBECONFIG to a cluster made by `npm run cluster -- up`');
const state = clusterPids(kubeconfigPath);
const pids = { apiserver: state['kube-apiserver'], etcd: state.etcd };

const kc = new KubeConfig();
kc.loadFromFile(kubeconfigPath);
const client = new KubeClient(kc);

const SandboxKind: ResourceKind = { group: 'agents.x-k8s.io', version: 'v1beta1', kind: 'Sandbox', plural: 'sandboxes', namespaced: true };
const ClaimKind: ResourceKind = { group: 'extensions.agents.x-k8s.io', version: 'v1beta1', kind: 'SandboxClaim', plural: 'sandboxclaims', namespaced: true };
const EventKind: ResourceKind = { group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true };

async function measure(label: string, write: (i: number) => Promise<unknown>): Promise<[string, Record<string, number>]> {
  if (args.only && !label.startsWith('POST sandboxes') && !label.startsWith('POST sandboxclaims') && !label.includes(args.only)) return [label, {}];
  const a = cpuMs(pids.apiserver);
  const e = cpuMs(pids.etcd);
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < COUNT) await write(next++);
  }));
  const wall = performance.now() - t0;
  return [label, { apiserverCpuMs: round((cpuMs(pids.apiserver) - a) / COUNT), etcdCpuMs: round((cpuMs(pids.etcd) - e) / COUNT), wallMsPerWrite: round(wall / COUNT) }];
}

const round = (x: number) => Math.round(x * 100) / 100;
const NS = `bench-writes-${Date.now().toString(36)}`;
const ref = (name: string) => ({ namespace: NS, name });
const condition = (i: number) => ({ type: 'Ready', status: i % 2 ? 'True' : 'False', reason: i % 2 ? 'DependenciesReady' : 'DependenciesNotReady', message: `pass ${i}`, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), observedGeneration: 1 });
const sandbox = (name: string) => ({
  apiVersion: 'agents.x-k8s.io/v1beta1',
  kind: 'Sandbox',
  metadata: { name, namespace: NS, labels: { 'agents.x-k8s.io/pool': 'p' } },
  spec: { podTemplate: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'main', image: 'img:1', resources: { limits: { cpu: '1', memory: '1Gi' } } }] } } },
});

await installCrds(kc);
await client.create(Kinds.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
const result: Record<string, unknown> = { count: COUNT, concurrency: CONCURRENCY };
try {
  const rows: Array<[string, Record<string, number>]> = [];
  const names = Array.from({ length: COUNT }, (_, i) => `s-${i}`);
  rows.push(await measure('POST sandboxes', (i) => client.create(SandboxKind, sandbox(names[i]!))));
  const patch = (kind: ResourceKind, name: string, body: unknown, type: PatchType, subresource?: string) =>
    client.patch<KubeObject>(kind, ref(name), body, { type, fieldManager: 'bench', ...(subresource ? { subresource, force: type === 'apply' } : {}) });
  rows.push(await measure('APPLY sandboxes/status', (i) => patch(SandboxKind, names[i]!, { apiVersion: 'agents.x-k8s.io/v1beta1', kind: 'Sandbox', metadata: { name: names[i] }, status: { conditions: [condition(1)], selector: 'x=y' } }, 'apply', 'status')));
  rows.push(await measure('PATCH sandboxes/status (merge)', (i) => patch(SandboxKind, names[i]!, { status: { conditions: [condition(2)], selector: 'x=y' } }, 'merge', 'status')));
  rows.push(await measure('PATCH sandboxes (labels, merge)', (i) => patch(SandboxKind, names[i]!, { metadata: { labels: { claimed: `c-${i}` } } }, 'merge')));
  rows.push(await measure('PATCH sandboxes (pod template, merge)', (i) => patch(SandboxKind, names[i]!, { spec: { podTemplate: { metadata: { labels: { claimed: `c-${i}` } } } } }, 'merge')));
  rows.push(await measure('POST sandboxclaims', (i) => client.create(ClaimKind, { apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxClaim', metadata: { name: `c-${i}`, namespace: NS }, spec: { warmPoolRef: { name: 'p' } } })));
  rows.push(await measure('PATCH sandboxclaims (annotation, merge)', (i) => patch(ClaimKind, `c-${i}`, { metadata: { annotations: { 'agents.x-k8s.io/sandbox-name': `s-${i}` } } }, 'merge')));
  rows.push(await measure('PATCH sandboxclaims/status (merge)', (i) => patch(ClaimKind, `c-${i}`, { status: { conditions: [condition(1)], sandbox: { name: `s-${i}` } } }, 'merge', 'status')));
  rows.push(await measure('POST events', (i) => client.create(EventKind, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `s-${i}.${Date.now().toString(16)}`, namespace: NS },
    involvedObject: { apiVersion: 'agents.x-k8s.io/v1beta1', kind: 'Sandbox', name: `s-${i}`, namespace: NS },
    reason: 'SandboxReady',
    message: 'Pod is Ready',
    type: 'Normal',
    source: { component: 'bench' },
    firstTimestamp: new Date().toISOString(),
    lastTimestamp: new Date().toISOString(),
    count: 1,
  })));
  result.perWrite = Object.fromEntries(rows.filter(([, v]) => Object.keys(v).length > 0));
} finally {
  await client.delete(Kinds.Namespace, { name: NS }).catch(() => undefined);
  client.close();
}
console.log(JSON.stringify(result, null, 2));
