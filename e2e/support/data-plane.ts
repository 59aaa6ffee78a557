/**
 * Helpers for data-plane suites: Sandboxes that are Ready with a Pod at a given address (no
 * controller running: the test writes their status as the sandbox-controller and a kubelet
 * would), callers with exactly the rights a test gives them, and the router's proxy address.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nameHash, SANDBOX, SANDBOX_CLAIM } from '@agent-sandbox/api';
import type { KubeConfig } from '@kubernetes/client-node';
import { testKubeConfig } from '@agent-sandbox/controlplane/testing';
import { Informer, Kinds, type KubeClient, type KubeObject, type ResourceKind } from '@agent-sandbox/runtime';
import { createLogger } from '@agent-sandbox/telemetry';
import type { ProgramProcess } from './programs.ts';

const Role: ResourceKind = { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', plural: 'roles', namespaced: true };
const RoleBinding: ResourceKind = { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true };
const ServiceAccount: ResourceKind = { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true };

export interface FakeSandboxOptions {
  /** The Pod's IP. */
  address: string;
  /** A claim holding the Sandbox (its controller owner); created here (no claim-controller runs, so it stays as it is). */
  claim?: string;
  /** An existing claim to hold the Sandbox. */
  claimRef?: { name: string; uid: string };
  ready?: boolean;
}

/**
 * A Sandbox and its Pod as the control plane leaves them once Ready: Sandbox Ready=True, a Pod
 * controlled by it, Running and Ready at `address`. The Pod names a scheduler that does not
 * exist, so no scheduler or kwok node touches it and its status stays what the test wrote.
 */
export async function fakeSandbox(admin: KubeClient, namespace: string, name: string, options: FakeSandboxOptions): Promise<{ sandbox: KubeObject; pod: KubeObject }> {
  const ready = options.ready ?? true;
  let owner: NonNullable<KubeObject['metadata']['ownerReferences']> | undefined;
  if (options.claimRef) owner = [{ apiVersion: SANDBOX_CLAIM.apiVersion, kind: SANDBOX_CLAIM.kind, name: options.claimRef.name, uid: options.claimRef.uid, controller: true }];
  else if (options.claim) {
    // A real claim: the garbage collector deletes what names a missing owner.
    const claim = await admin.create<KubeObject>(SANDBOX_CLAIM, {
      apiVersion: SANDBOX_CLAIM.apiVersion,
      kind: SANDBOX_CLAIM.kind,
      metadata: { name: options.claim, namespace },
      spec: { warmPoolRef: { name: 'no-pool' } },
    });
    owner = [{ apiVersion: SANDBOX_CLAIM.apiVersion, kind: SANDBOX_CLAIM.kind, name: options.claim, uid: claim.metadata.uid!, controller: true }];
  }
  const sandbox = await admin.create<KubeObject>(SANDBOX, {
    apiVersion: SANDBOX.apiVersion,
    kind: SANDBOX.kind,
    metadata: { name, namespace, ...(owner ? { ownerReferences: owner } : {}) },
    spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'registry.example/runtime:1' }] } } },
  });
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await admin.patch(SANDBOX, { namespace, name }, {
    status: {
      conditions: [
        ready
          ? { type: 'Ready', status: 'True', reason: 'DependenciesReady', message: 'Pod is Ready', lastTransitionTime: now, observedGeneration: 1 }
          : { type: 'Ready', status: 'False', reason: 'DependenciesNotReady', message: 'Pod is Running but not Ready', lastTransitionTime: now, observedGeneration: 1 },
      ],
    },
  }, { type: 'merge', subresource: 'status' });
  const pod = await admin.create<KubeObject>(Kinds.Pod, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: { 'agents.x-k8s.io/sandbox-name-hash': nameHash(name) },
      ownerReferences: [{ apiVersion: SANDBOX.apiVersion, kind: SANDBOX.kind, name, uid: sandbox.metadata.uid!, controller: true }],
    },
    spec: { schedulerName: 'no-such-scheduler', containers: [{ name: 'main', image: 'registry.example/runtime:1' }] },
  });
  await admin.patch(Kinds.Pod, { namespace, name }, {
    status: {
      phase: 'Running',
      podIP: options.address,
      podIPs: [{ ip: options.address }],
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now }],
    },
  }, { type: 'merge', subresource: 'status' });
  return { sandbox, pod };
}

/**
 * A ServiceAccount of the namespace with a Role of exactly `rules`, and a token for it: a
 * caller of the router as an SDK in a cluster would be.
 */
export async function callerToken(admin: KubeClient, namespace: string, name: string, rules: unknown[]): Promise<string> {
  await admin.create(ServiceAccount, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
  if (rules.length > 0) {
    await admin.create(Role, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace }, rules });
    await admin.create(RoleBinding, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    });
  }
  const res = await admin.request<{ status: { token: string } }>('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  });
  return res.status.token;
}

/** The proxy address a router process logged. */
export function routerUrl(router: ProgramProcess): string {
  const line = router.lines.find((l) => l.msg === 'serving the proxy');
  if (!line) throw new Error('the router has not logged its proxy address');
  return `http://127.0.0.1:${line.port as number}`;
}

/** Log lines of a program that report a 403 from the API server: its RBAC is short of something. */
export function forbiddenLines(proc: ProgramProcess): Array<Record<string, unknown>> {
  // A status field of 403, or the word: not any "403" (a timestamp's milliseconds can be 403).
  return proc.lines.filter((l) => /"(code|status|statusCode)":403\b|forbidden/i.test(JSON.stringify(l)));
}

export type BindAction =
  | { kind: 'bind'; address: string }
  | { kind: 'condition'; reason: string; message: string }
  | { kind: 'ignore' };

/**
 * Stands in for the claim-controller while there is no real node: each new claim of the
 * namespace gets what `decide` says: bound Ready to a fresh Sandbox whose Pod is at `address`
 * (the claim's own name, as a cold start), a Ready=False condition, or nothing. It watches
 * claims with the runtime's informer, as a controller would.
 */
export class ClaimBinder {
  readonly #informer: Informer;
  readonly #pending = new Set<Promise<unknown>>();
  readonly errors: unknown[] = [];

  constructor(admin: KubeClient, namespace: string, decide: (claim: KubeObject) => BindAction) {
    this.#informer = new Informer({ kind: SANDBOX_CLAIM, client: admin, log: silentLogger(), namespace });
    this.#informer.addHandlers({
      add: (claim) => {
        const work = act(admin, namespace, claim, decide(claim)).catch((err) => this.errors.push(err));
        this.#pending.add(work);
        void work.finally(() => this.#pending.delete(work));
      },
    });
  }

  async start(): Promise<void> {
    this.#informer.start();
    await this.#informer.waitForSync();
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
    await this.#informer.stop();
  }
}

async function act(admin: KubeClient, namespace: string, claim: KubeObject, action: BindAction): Promise<void> {
  const name = claim.metadata.name!;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const ready = (status: string, reason: string, message: string) => ({ type: 'Ready', status, reason, message, lastTransitionTime: now, observedGeneration: 1 });
  if (action.kind === 'ignore') return;
  if (action.kind === 'condition') {
    await admin.patch(SANDBOX_CLAIM, { namespace, name }, { status: { conditions: [ready('False', action.reason, action.message)] } }, { type: 'merge', subresource: 'status' });
    return;
  }
  // First "still provisioning", as the real controller reports, then Ready.
  await admin.patch(SANDBOX_CLAIM, { namespace, name }, { status: { conditions: [ready('False', 'SandboxNotReady', 'Sandbox is not ready')] } }, { type: 'merge', subresource: 'status' });
  await fakeSandbox(admin, namespace, name, { address: action.address, claimRef: { name, uid: claim.metadata.uid! } });
  await admin.patch(
    SANDBOX_CLAIM,
    { namespace, name },
    { status: { conditions: [ready('True', 'DependenciesReady', 'Pod is Ready')], sandbox: { name, podIPs: [action.address] } } },
    { type: 'merge', subresource: 'status' },
  );
}

function silentLogger() {
  return createLogger({ program: 'claim-binder', level: 'silent' });
}

/** A kubeconfig file for `token` on the test cluster, with `namespace` as its context's namespace. */
export function kubeconfigFor(token: string, namespace: string, dir: string, kc: KubeConfig = testKubeConfig()): string {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the test kubeconfig has no cluster');
  const ca = cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : undefined);
  const file = join(dir, 'kubeconfig');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server: cluster.server, ...(ca ? { 'certificate-authority-data': ca } : { 'insecure-skip-tls-verify': true }) } }],
      users: [{ name: 'caller', user: { token } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'caller', namespace } }],
      'current-context': 'test',
    }),
    { mode: 0o600 },
  );
  return file;
}
