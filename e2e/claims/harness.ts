/**
 * Runs the programs of the hot path (sandbox-controller, warmpool-orchestrator, claim-controller)
 * as real child processes against the test cluster, each as a ServiceAccount bound to exactly
 * the rules of its own rbac.yaml, watching one namespace of the test's own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { installCrds } from '@agent-sandbox/api/crds';
import { KubeClient, type KubeObject, type ResourceKind } from '@agent-sandbox/runtime';
import { createTestNamespace, testKubeConfig, type TestNamespace } from '@agent-sandbox/controlplane/testing';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');

export type Program = 'sandbox-controller' | 'warmpool-orchestrator' | 'claim-controller';

const kind = (group: string, k: string, plural: string, namespaced = true, version = 'v1beta1'): ResourceKind => ({ group, version, kind: k, plural, namespaced });
export const SandboxKind = kind('agents.x-k8s.io', 'Sandbox', 'sandboxes');
export const TemplateKind = kind('extensions.agents.x-k8s.io', 'SandboxTemplate', 'sandboxtemplates');
export const PoolKind = kind('extensions.agents.x-k8s.io', 'SandboxWarmPool', 'sandboxwarmpools');
export const ClaimKind = kind('extensions.agents.x-k8s.io', 'SandboxClaim', 'sandboxclaims');
const ClusterRole = kind('rbac.authorization.k8s.io', 'ClusterRole', 'clusterroles', false, 'v1');
const ClusterRoleBinding = kind('rbac.authorization.k8s.io', 'ClusterRoleBinding', 'clusterrolebindings', false, 'v1');
const ServiceAccount = kind('', 'ServiceAccount', 'serviceaccounts', true, 'v1');

export type Obj = KubeObject & { spec?: any; status?: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ProgramProcess {
  child: ChildProcess;
  healthPort: number;
  stop(): Promise<void>;
  metrics(): Promise<string>;
}

export interface Suite {
  admin: KubeClient;
  ns: TestNamespace;
  start(program: Program, args?: string[]): Promise<ProgramProcess>;
  teardown(): Promise<void>;
}

async function kubeconfigFor(admin: KubeClient, kc: KubeConfig, ns: string, program: Program): Promise<string> {
  const sa = program;
  const roleName = `${program}-test-${ns}`;
  const rbac = parse(readFileSync(join(ROOT, 'apps', program, 'rbac.yaml'), 'utf8')) as { rules: unknown[] };
  await admin.create(ServiceAccount, { metadata: { name: sa, namespace: ns } });
  await admin.create(ClusterRole, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: roleName, labels: { 'agent-sandbox.test/rbac': ns } }, rules: rbac.rules });
  await admin.create(ClusterRoleBinding, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: roleName, labels: { 'agent-sandbox.test/rbac': ns } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
  });
  const token = (
    await admin.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
    })
  ).status.token;
  const asProgram = new KubeConfig();
  asProgram.loadFromOptions({
    clusters: [{ ...kc.getCurrentCluster()!, name: 'test' }],
    users: [{ name: sa, token }],
    contexts: [{ name: 'test', cluster: 'test', user: sa }],
    currentContext: 'test',
  });
  const path = join(mkdtempSync(join(tmpdir(), `${program}-`)), 'kubeconfig');
  writeFileSync(path, asProgram.exportConfig());
  const probe = new KubeClient(asProgram);
  await waitUntil(`RBAC of ${program}`, async () => probe.list(SandboxKind, { namespace: ns, query: { limit: 1 } }).then(() => true, () => false), 20_000);
  probe.close();
  return path;
}

export async function suite(prefix: string): Promise<Suite> {
  const kc = testKubeConfig();
  await installCrds(kc);
  const admin = new KubeClient(kc);
  const ns = await createTestNamespace(prefix, kc);
  const configs = new Map<Program, Promise<string>>();
  const running: ProgramProcess[] = [];
  return {
    admin,
    ns,
    async start(program, args = []) {
      if (!configs.has(program)) configs.set(program, kubeconfigFor(admin, kc, ns.name, program));
      const proc = await startProgram(program, [`--kubeconfig=${await configs.get(program)}`, `--watch-namespace=${ns.name}`, '--health-probe-bind-address=127.0.0.1:0', '--shutdown-timeout=5s', ...args]);
      running.push(proc);
      return proc;
    },
    async teardown() {
      await Promise.all(running.map((p) => p.stop()));
      for (const program of configs.keys()) {
        await admin.delete(ClusterRoleBinding, { name: `${program}-test-${ns.name}` }).catch(() => undefined);
        await admin.delete(ClusterRole, { name: `${program}-test-${ns.name}` }).catch(() => undefined);
      }
      await ns.remove();
      admin.close();
    },
  };
}

async function startProgram(program: Program, args: string[]): Promise<ProgramProcess> {
  const child = spawn(NODE, [join(ROOT, 'apps', program, 'src', 'main.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const lines: string[] = [];
  child.stderr!.on('data', (c: Buffer) => (stderr += c));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  let healthPort = 0;
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (process.env.CLAIMS_TEST_LOGS === '1') process.stderr.write(`[${program}] ${line}\n`);
      lines.push(line);
      let record: Record<string, unknown> = {};
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        /* not JSON */
      }
      if (record.msg === 'serving health probes') healthPort = record.port as number;
      if (record.msg === 'started') resolve();
    });
    void exited.then(() => reject(new Error(`${program} exited before starting: ${stderr}\n${lines.join('\n')}`)));
  });
  return {
    child,
    healthPort,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
    async metrics() {
      return (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
    },
  };
}

export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const template = (ns: string, name: string, podSpec: Record<string, unknown> = {}): Obj => ({
  apiVersion: 'extensions.agents.x-k8s.io/v1beta1',
  kind: 'SandboxTemplate',
  metadata: { name, namespace: ns },
  spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'registry.example/runtime:1' }], ...podSpec } } },
});

export const pool = (ns: string, name: string, templateName: string, replicas: number, updateStrategy?: Record<string, unknown>): Obj => ({
  apiVersion: 'extensions.agents.x-k8s.io/v1beta1',
  kind: 'SandboxWarmPool',
  metadata: { name, namespace: ns },
  spec: { replicas, sandboxTemplateRef: { name: templateName }, ...(updateStrategy ? { updateStrategy } : {}) },
});

export const claim = (ns: string, name: string, poolName: string, spec: Record<string, unknown> = {}): Obj => ({
  apiVersion: 'extensions.agents.x-k8s.io/v1beta1',
  kind: 'SandboxClaim',
  metadata: { name, namespace: ns },
  spec: { warmPoolRef: { name: poolName }, ...spec },
});

export const readyOf = (o: Obj): { status?: string; reason?: string } | undefined => (o.status?.conditions as Array<{ type: string; status: string; reason: string }> | undefined)?.find((c) => c.type === 'Ready');
export const controllerUid = (o: Obj): string | undefined => o.metadata.ownerReferences?.find((r) => r.controller)?.uid;
export const WARM_LABEL = 'agents.x-k8s.io/warm-pool-sandbox';
