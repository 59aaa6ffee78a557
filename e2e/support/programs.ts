/**
 * Runs the real programs (child processes, from their sources) against the test cluster, each
 * as a ServiceAccount bound to exactly the rules of its `apps/<program>/rbac.yaml`, watching
 * one namespace of the test's own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KubeConfig } from '@kubernetes/client-node';
import { installCrds } from '@agent-sandbox/api/crds';
import { KubeClient, type ResourceKind } from '@agent-sandbox/runtime';
import { serviceAccountKubeConfig } from '@agent-sandbox/controlplane';
import { PROGRAM_NODE_FLAGS } from '@agent-sandbox/images';
import { createTestNamespace, testKubeConfig, waitFor, type TestNamespace } from '@agent-sandbox/controlplane/testing';
import { installedSuite, programsMode } from './installed-programs.ts';
import type { TcpProxy } from './tcp-proxy.ts';

export { consistently } from '@agent-sandbox/controlplane/testing';

export const ROOT = join(import.meta.dirname, '..', '..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');

export type Program = 'sandbox-controller' | 'claim-controller' | 'warmpool-orchestrator' | 'ttl-reaper' | 'admission-webhook' | 'sandbox-router';

const ClusterRole: ResourceKind = { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false };
const ClusterRoleBinding: ResourceKind = { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false };

export interface ProgramProcess {
  program: Program;
  /** The child process; undefined for a program installed by the chart (see programsMode). */
  child: ChildProcess | undefined;
  healthPort: number;
  /** Every JSON log line so far. */
  lines: Array<Record<string, unknown>>;
  /** The log lines that report a request refused by RBAC (403), at any level, in any shape. */
  forbidden(): Array<Record<string, unknown>>;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  metrics(): Promise<string>;
}

export interface StartOptions {
  /** Reach the API server through this proxy. */
  via?: TcpProxy;
  /**
   * Run the built bundle (apps/<program>/dist/main.js) with the images' node flags, as a
   * container runs it, instead of the TypeScript sources (which Node strips of types as it
   * loads them, at a cost in memory). Run `npm run build` first.
   */
  bundle?: boolean;
  /** Variables added to the program's environment (the OTEL_* ones of a test's trace store). */
  env?: Record<string, string>;
}

export interface ProgramSuite {
  admin: KubeClient;
  ns: TestNamespace;
  /**
   * Starts `program` as its ServiceAccount, watching the suite's namespace (and electing its
   * leader there, when asked to). With `via`, it reaches the API server through that proxy.
   */
  start(program: Program, args?: string[], options?: StartOptions): Promise<ProgramProcess>;
  /**
   * Stops what was started, removes the namespace and the cluster-wide RBAC objects, and fails
   * if any program logged a request refused by RBAC: the programs run with exactly their
   * shipped rules, so a 403 is a missing rule (or a program doing what it should not).
   */
  teardown(): Promise<void>;
  /**
   * 403s logged between `from` and `to` (ms since the epoch) are not RBAC's verdict: a
   * kube-apiserver that has just started serves requests before its authorizer's caches are
   * filled, and refuses them meanwhile. For fault tests that restart it.
   */
  excuseForbidden(from: number, to: number, why: string): void;
}

/**
 * Whether a log line reports a 403 from the API server: an error logged as an object (pino's
 * `err`, or our `{ message, code, reason }`), nested at any depth, or the API server's message
 * quoted in text.
 */
export function reportsForbidden(line: Record<string, unknown>): boolean {
  const text = JSON.stringify(line);
  return /"(code|statusCode)":403\b|"reason":"Forbidden"|is forbidden: User "/.test(text);
}

async function bindProgram(admin: KubeClient, kc: KubeConfig, namespace: string, program: Program): Promise<{ kubeconfigPath: string; cleanup: () => Promise<void> }> {
  // A role of this suite's own: suites run side by side, each binding its namespace's accounts.
  const roleName = `${program}-test-${namespace}`;
  const asProgram = await serviceAccountKubeConfig(kc, { namespace, name: program, rbacFile: join(ROOT, 'apps', program, 'rbac.yaml'), roleName, fieldManager: 'e2e', tokenSeconds: 3600 });
  const kubeconfigPath = join(mkdtempSync(join(tmpdir(), `${program}-`)), 'kubeconfig');
  writeFileSync(kubeconfigPath, asProgram.exportConfig(), { mode: 0o600 });
  // The binding takes effect within moments; wait so the program's first request is not refused.
  const probe = new KubeClient(asProgram);
  await waitFor(`RBAC for ${program}`, async () => {
    await probe.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases?limit=1`).catch((err: { code?: number }) => {
      // A program without lease rules still proves its token works by getting a 403 on
      // something else; what matters is that authentication is settled.
      if (err.code !== 403) throw err;
    });
    return true;
  }, 20_000, 100);
  probe.close();
  return {
    kubeconfigPath,
    cleanup: async () => {
      await admin.delete(ClusterRoleBinding, { name: roleName }).catch(() => undefined);
      await admin.delete(ClusterRole, { name: roleName }).catch(() => undefined);
    },
  };
}

/** `kc`: the cluster to use (default: the test run's; a script outside vitest passes its own). */
export async function programSuite(prefix: string, kc: KubeConfig = testKubeConfig()): Promise<ProgramSuite> {
  if (programsMode() === 'installed') return installedSuite(prefix, kc);
  await installCrds(kc);
  const admin = new KubeClient(kc);
  const ns = await createTestNamespace(prefix, kc);
  // Promises, so that replicas started together share one binding.
  const bound = new Map<Program, ReturnType<typeof bindProgram>>();
  const running: ProgramProcess[] = [];
  // Starts still in flight when teardown begins (a sibling start failed) are stopped too.
  const starting = new Set<Promise<ProgramProcess>>();
  const excused: Array<{ from: number; to: number; why: string }> = [];
  const isExcused = (line: Record<string, unknown>) => {
    const at = Date.parse(String(line.time));
    return excused.some((w) => at >= w.from && at <= w.to);
  };
  return {
    admin,
    ns,
    async start(program, args = [], options = {}) {
      if (!bound.has(program)) bound.set(program, bindProgram(admin, kc, ns.name, program));
      const binding = await bound.get(program)!;
      const kubeconfig = options.via ? throughProxy(binding.kubeconfigPath, options.via) : binding.kubeconfigPath;
      const pending = startProgram(program, [
        `--kubeconfig=${kubeconfig}`,
        `--watch-namespace=${ns.name}`,
        // The router is stateless: it elects no leader.
        ...(program === 'sandbox-router' ? [] : [`--leader-election-namespace=${ns.name}`]),
        '--health-probe-bind-address=127.0.0.1:0',
        '--shutdown-timeout=5s',
        ...args,
      ], { bundle: options.bundle ?? false, ...(options.env ? { env: options.env } : {}) });
      starting.add(pending);
      try {
        const proc = await pending;
        running.push(proc);
        return proc;
      } finally {
        starting.delete(pending);
      }
    },
    excuseForbidden(from, to, why) {
      excused.push({ from, to, why });
    },
    async teardown() {
      await Promise.allSettled([...starting]);
      await Promise.all(running.map((p) => p.stop()));
      for (const binding of bound.values()) await (await binding.catch(() => undefined))?.cleanup();
      await ns.remove();
      admin.close();
      const refused = running.flatMap((p) => p.forbidden().filter((line) => !isExcused(line)).map((line) => `${p.program}: ${JSON.stringify(line)}`));
      if (refused.length > 0) throw new Error(`programs were refused by RBAC (403) ${refused.length} time(s):\n${refused.slice(0, 10).join('\n')}`);
    },
  };
}

/** A copy of a kubeconfig whose server is the proxy's address (the API server's certificate names 127.0.0.1). */
function throughProxy(kubeconfigPath: string, proxy: TcpProxy): string {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  kc.clusters = kc.clusters.map((c) => ({ ...c, server: proxy.url() }));
  const path = `${kubeconfigPath}-via-${proxy.port}`;
  writeFileSync(path, kc.exportConfig(), { mode: 0o600 });
  return path;
}

/** Programs still running when this test process exits are killed with it, never orphaned. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export async function startProgram(program: Program, args: string[], options: { bundle?: boolean; env?: Record<string, string> } = {}): Promise<ProgramProcess> {
  const bundle = join(ROOT, 'apps', program, 'dist', 'main.js');
  if (options.bundle && !existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` first`);
  const entry = options.bundle ? [...PROGRAM_NODE_FLAGS, bundle] : [join(ROOT, 'apps', program, 'src', 'main.ts')];
  const child = spawn(NODE, [...entry, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...(options.env ? { env: { ...process.env, ...options.env } } : {}) });
  live.add(child);
  child.once('exit', () => live.delete(child));
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
      if (process.env.E2E_PROGRAM_LOGS === '1') process.stderr.write(`${program}| ${line}\n`);
      if (record.msg === 'serving health probes') healthPort = record.port as number;
      if (record.msg === 'started') resolve();
    });
    void exited.then((code) => reject(new Error(`${program} exited (${code}) before starting: ${stderr}\n${lines.map((l) => JSON.stringify(l)).join('\n')}`)));
  });
  return {
    program,
    child,
    healthPort,
    lines,
    forbidden: () => lines.filter(reportsForbidden),
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
      return (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
    },
  };
}

/** Polls `read` until `ok` holds of its value and returns it (or throws with the last value seen). */
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

export { waitUntil } from '@agent-sandbox/runtime/testing';
