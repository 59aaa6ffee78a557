/**
 * Runs the sandbox-controller as the real program (a child process) against the test cluster,
 * as a ServiceAccount bound to exactly the rules of apps/sandbox-controller/rbac.yaml, watching
 * one namespace of the test's own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { installCrds } from '@agent-sandbox/api/crds';
import { KubeClient, Kinds, type KubeObject, type ResourceKind } from '@agent-sandbox/runtime';
import { createTestNamespace, testKubeConfig, type TestNamespace } from '@agent-sandbox/controlplane/testing';

export const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const MAIN = join(ROOT, 'apps', 'sandbox-controller', 'src', 'main.ts');

export const SandboxKind: ResourceKind = { group: 'agents.x-k8s.io', version: 'v1beta1', kind: 'Sandbox', plural: 'sandboxes', namespaced: true };
export const TemplateKind: ResourceKind = { group: 'extensions.agents.x-k8s.io', version: 'v1beta1', kind: 'SandboxTemplate', plural: 'sandboxtemplates', namespaced: true };
export const PoolKind: ResourceKind = { group: 'extensions.agents.x-k8s.io', version: 'v1beta1', kind: 'SandboxWarmPool', plural: 'sandboxwarmpools', namespaced: true };
export const ClaimKind: ResourceKind = { group: 'extensions.agents.x-k8s.io', version: 'v1beta1', kind: 'SandboxClaim', plural: 'sandboxclaims', namespaced: true };
const ClusterRole: ResourceKind = { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false };
const ClusterRoleBinding: ResourceKind = { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false };
const ServiceAccount: ResourceKind = { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true };

export type Obj = KubeObject & { spec?: any; status?: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface ControllerProcess {
  child: ChildProcess;
  pid: number;
  healthPort: number;
  lines: Array<Record<string, unknown>>;
  /** SIGTERM and wait for exit (code). */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  metrics(): Promise<string>;
}

export interface Suite {
  admin: KubeClient;
  ns: TestNamespace;
  kubeconfigPath: string;
  start(args?: string[]): Promise<ControllerProcess>;
  /** Stops every controller started and removes the namespace and cluster-wide RBAC objects. */
  teardown(): Promise<void>;
}

export async function controllerSuite(prefix: string): Promise<Suite> {
  const kc = testKubeConfig();
  await installCrds(kc);
  const admin = new KubeClient(kc);
  const ns = await createTestNamespace(prefix, kc);
  const sa = 'sandbox-controller';
  const roleName = `sandbox-controller-test-${ns.name}`;
  const rbac = parse(readFileSync(join(ROOT, 'apps', 'sandbox-controller', 'rbac.yaml'), 'utf8')) as { rules: unknown[] };
  await admin.create(ServiceAccount, { metadata: { name: sa, namespace: ns.name } });
  await admin.create(ClusterRole, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: roleName }, rules: rbac.rules });
  await admin.create(ClusterRoleBinding, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: roleName },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns.name }],
  });
  const token = (
    await admin.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${ns.name}/serviceaccounts/${sa}/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
    })
  ).status.token;
  const asController = new KubeConfig();
  asController.loadFromOptions({
    clusters: [{ ...kc.getCurrentCluster()!, name: 'test' }],
    users: [{ name: sa, token }],
    contexts: [{ name: 'test', cluster: 'test', user: sa }],
    currentContext: 'test',
  });
  const kubeconfigPath = join(mkdtempSync(join(tmpdir(), 'sc-test-')), 'kubeconfig');
  writeFileSync(kubeconfigPath, asController.exportConfig());
  // The binding takes effect within moments; wait so the program's first list is not refused.
  const probe = new KubeClient(asController);
  await waitUntil('the RBAC binding to take effect', async () => {
    try {
      await probe.list(SandboxKind, { namespace: ns.name, query: { limit: 1 } });
      return true;
    } catch {
      return false;
    }
  }, 20_000, 100);
  probe.close();

  const running: ControllerProcess[] = [];
  return {
    admin,
    ns,
    kubeconfigPath,
    async start(args = []) {
      const proc = await startController([`--kubeconfig=${kubeconfigPath}`, `--watch-namespace=${ns.name}`, '--health-probe-bind-address=127.0.0.1:0', '--shutdown-timeout=5s', ...args]);
      running.push(proc);
      return proc;
    },
    async teardown() {
      await Promise.all(running.map((p) => p.stop()));
      await admin.delete(ClusterRoleBinding, { name: roleName }).catch(() => undefined);
      await admin.delete(ClusterRole, { name: roleName }).catch(() => undefined);
      await ns.remove();
      admin.close();
    },
  };
}

export async function startController(args: string[]): Promise<ControllerProcess> {
  const child = spawn(NODE, [MAIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  // Never outlive the test run, whatever happens to it.
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  child.on('close', () => process.off('exit', killOnExit));
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let healthPort = 0;
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        record = { msg: line };
      }
      lines.push(record);
      if (process.env.SC_TEST_LOGS === '1') process.stderr.write(`${line}\n`);
      if (record.msg === 'serving health probes') healthPort = record.port as number;
      if (record.msg === 'started') resolve();
    });
    void exited.then((code) => reject(new Error(`sandbox-controller exited (${code}) before starting: ${stderr}\n${lines.map((l) => JSON.stringify(l)).join('\n')}`)));
  });
  return {
    child,
    pid: child.pid!,
    healthPort,
    lines,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
    async metrics() {
      const res = await fetch(`http://127.0.0.1:${healthPort}/metrics`);
      return res.text();
    },
  };
}

export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Polls `read` until `ok` holds of its value, and returns that value (or throws with the last one seen). */
export async function eventually<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  let last: T | undefined;
  let lastErr: unknown;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      last = await read();
      if (ok(last)) return last;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last ?? String(lastErr))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const podSpec = (extra: Record<string, unknown> = {}) => ({
  containers: [{ name: 'main', image: 'registry.example/runtime:1', ports: [{ containerPort: 8888, name: 'http' }] }],
  ...extra,
});

export function sandbox(namespace: string, name: string, spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): Obj {
  return {
    apiVersion: 'agents.x-k8s.io/v1beta1',
    kind: 'Sandbox',
    metadata: { name, namespace, ...metadata },
    spec: { podTemplate: { spec: podSpec() }, ...spec },
  };
}

export function conditionOf(obj: Obj | undefined, type: string): Condition | undefined {
  return (obj?.status?.conditions as Condition[] | undefined)?.find((c) => c.type === type);
}

/** Helpers bound to one namespace. */
export function kube(admin: KubeClient, namespace: string) {
  return {
    getSandbox: (name: string) => admin.get<Obj>(SandboxKind, { namespace, name }),
    getPod: (name: string) => admin.get<Obj>(Kinds.Pod, { namespace, name }),
    getService: (name: string) => admin.get<Obj>(Kinds.Service, { namespace, name }),
    getPvc: (name: string) => admin.get<Obj>(Kinds.PersistentVolumeClaim, { namespace, name }),
    pods: async () => (await admin.list<Obj>(Kinds.Pod, { namespace })).items,
    services: async () => (await admin.list<Obj>(Kinds.Service, { namespace })).items,
    pvcs: async () => (await admin.list<Obj>(Kinds.PersistentVolumeClaim, { namespace })).items,
    events: async () => (await admin.list<Obj & { reason: string; type: string; message: string; involvedObject: { name: string } }>(Kinds.Event, { namespace })).items,
    create: (kind: ResourceKind, obj: Obj) => admin.create<Obj>(kind, { ...obj, metadata: { ...obj.metadata, namespace } }),
    mergePatch: (kind: ResourceKind, name: string, patch: unknown, subresource?: string) =>
      admin.patch<Obj>(kind, { namespace, name }, patch, { type: 'merge', ...(subresource ? { subresource } : {}) }),
    jsonPatch: (kind: ResourceKind, name: string, patch: unknown, subresource?: string) =>
      admin.patch<Obj>(kind, { namespace, name }, patch, { type: 'json', ...(subresource ? { subresource } : {}) }),
    delete: (kind: ResourceKind, name: string) => admin.delete(kind, { namespace, name }),
    /** Waits for the sandbox's condition to have `status` and `reason`, and returns the sandbox. */
    waitCondition: (name: string, type: string, status: string, reason: string, timeoutMs = 30_000) =>
      eventually(`${name} ${type}=${status}/${reason}`, () => admin.get<Obj>(SandboxKind, { namespace, name }), (s) => {
        const c = conditionOf(s, type);
        return c?.status === status && c.reason === reason;
      }, timeoutMs),
    gone: async (kind: ResourceKind, name: string) => {
      try {
        await admin.get(kind, { namespace, name });
        return false;
      } catch (err) {
        return (err as { code?: number }).code === 404;
      }
    },
  };
}
