/**
 * Benchmark: N Sandboxes (default 1,000) created at once → all Ready, with the sandbox-controller
 * running as its own process. Prints JSON: wall time from the first create to the last Ready,
 * and the controller's CPU seconds (user + system, from /proc/<pid>/stat) over the run.
 *
 *   node tools/bench/sandbox-controller.ts [--count=1000] [--workers=16] [--create-concurrency=50]
 *
 * Uses the cluster named by KUBECONFIG, else starts a local control plane and removes it after.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { installCrds } from '@agent-sandbox/api/crds';
import { ControlPlane, cpuMs, freePort } from '@agent-sandbox/controlplane';
import { KubeClient, Kinds, type KubeObject, type ResourceKind } from '@agent-sandbox/runtime';

const ROOT = join(import.meta.dirname, '..', '..');
const SandboxKind: ResourceKind = { group: 'agents.x-k8s.io', version: 'v1beta1', kind: 'Sandbox', plural: 'sandboxes', namespaced: true };
const ServiceAccountKind: ResourceKind = { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true };
type Sandbox = KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } };

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    workers: { type: 'string', default: '16' },
    'create-concurrency': { type: 'string', default: '50' },
    'timeout-seconds': { type: 'string', default: '600' },
  },
});
const count = Number(values.count);
const createConcurrency = Number(values['create-concurrency']);

const cpuSeconds = (pid: number) => cpuMs(pid) / 1000;

async function main(): Promise<void> {
  let cluster: ControlPlane | undefined;
  let kubeconfig = process.env.KUBECONFIG;
  if (!kubeconfig) {
    cluster = await ControlPlane.up({ name: `bench-${process.pid}`, ownerPid: process.pid, progress: (l) => console.error(`controlplane: ${l}`) });
    kubeconfig = cluster.kubeconfigPath;
  }
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const client = new KubeClient(kc);
  const namespace = `bench-sc-${Date.now().toString(36)}`;
  let controller: ReturnType<typeof spawn> | undefined;
  try {
    await installCrds(kc);
    await client.create(Kinds.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    for (let i = 0; ; i++) {
      try {
        await client.get(ServiceAccountKind, { namespace, name: 'default' });
        break;
      } catch {
        if (i > 300) throw new Error('no default ServiceAccount');
        await new Promise((r) => setTimeout(r, 100));
      }
    }

    const port = await freePort();
    controller = spawn(join(ROOT, 'node_modules', '.bin', 'node'), [
      join(ROOT, 'apps', 'sandbox-controller', 'src', 'main.ts'),
      `--kubeconfig=${kubeconfig}`,
      `--watch-namespace=${namespace}`,
      `--health-probe-bind-address=127.0.0.1:${port}`,
      '--log-level=warn',
      `--workers=${values.workers}`,
    ], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
    const child = controller;
    process.on('exit', () => child.kill('SIGKILL'));
    const pid = child.pid!;
    let exited = false;
    child.on('exit', () => (exited = true));
    // Ready once its caches have synced (it logs nothing below warn).
    for (;;) {
      if (exited) throw new Error('the controller exited before it was ready');
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const cpuBefore = cpuSeconds(pid);

    const started = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: createConcurrency }, async () => {
      while (next < count) {
        const i = next++;
        await client.create(SandboxKind, {
          apiVersion: 'agents.x-k8s.io/v1beta1',
          kind: 'Sandbox',
          metadata: { name: `sb-${i}`, namespace },
          spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'registry.example/runtime:1', ports: [{ containerPort: 8888 }] }] } } },
        });
      }
    }));
    const createdMs = performance.now() - started;

    const deadline = Date.now() + Number(values['timeout-seconds']) * 1000;
    let ready = 0;
    for (;;) {
      const list = await client.list<Sandbox>(SandboxKind, { namespace });
      ready = list.items.filter((s) => s.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
      if (ready === count) break;
      if (Date.now() > deadline) throw new Error(`only ${ready} of ${count} Ready after the timeout`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const wallMs = performance.now() - started;
    const cpu = cpuSeconds(pid) - cpuBefore;
    const pods = (await client.list(Kinds.Pod, { namespace })).items.length;
    console.log(JSON.stringify({
      benchmark: 'sandbox-controller',
      sandboxes: count,
      workers: Number(values.workers),
      createSeconds: round(createdMs / 1000),
      wallSeconds: round(wallMs / 1000),
      sandboxesPerSecond: round(count / (wallMs / 1000)),
      controllerCpuSeconds: round(cpu),
      pods,
      cluster: cluster ? 'local control plane (kwok, fast profile)' : kubeconfig,
    }));
  } finally {
    controller?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await client.delete(Kinds.Namespace, { name: namespace }).catch(() => undefined);
    client.close();
    await cluster?.down();
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

await main();
