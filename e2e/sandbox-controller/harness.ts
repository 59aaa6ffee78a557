/**
 * The sandbox-controller suites' helpers: the program runs as itself (a child process, as its
 * own ServiceAccount bound to exactly apps/sandbox-controller/rbac.yaml) through the shared
 * e2e/support harness; the rest are object builders and readers bound to one namespace.
 */
import { Kinds, type KubeClient, type KubeObject, type ResourceKind } from '@agent-sandbox/runtime';
import type { TestNamespace } from '@agent-sandbox/controlplane/testing';
import { consistently, eventually, programSuite, waitUntil, type ProgramProcess } from '../support/programs.ts';

export { consistently, eventually, waitUntil };

export const SandboxKind: ResourceKind = { group: 'agents.x-k8s.io', version: 'v1beta1', kind: 'Sandbox', plural: 'sandboxes', namespaced: true };
export const TemplateKind: ResourceKind = { group: 'extensions.agents.x-k8s.io', version: 'v1beta1', kind: 'SandboxTemplate', plural: 'sandboxtemplates', namespaced: true };
export const PoolKind: ResourceKind = { group: 'extensions.agents.x-k8s.io', version: 'v1beta1', kind: 'SandboxWarmPool', plural: 'sandboxwarmpools', namespaced: true };
export const ClaimKind: ResourceKind = { group: 'extensions.agents.x-k8s.io', version: 'v1beta1', kind: 'SandboxClaim', plural: 'sandboxclaims', namespaced: true };

export type Obj = KubeObject & { spec?: any; status?: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export type ControllerProcess = ProgramProcess;

export interface Suite {
  admin: KubeClient;
  ns: TestNamespace;
  start(args?: string[]): Promise<ControllerProcess>;
  /** Stops every controller started and removes the namespace and cluster-wide RBAC objects. */
  teardown(): Promise<void>;
}

export async function controllerSuite(prefix: string): Promise<Suite> {
  const suite = await programSuite(prefix);
  return { admin: suite.admin, ns: suite.ns, start: (args = []) => suite.start('sandbox-controller', args), teardown: () => suite.teardown() };
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
    /** true on 404, false when it is there; any other answer fails the test. */
    gone: async (kind: ResourceKind, name: string) => {
      try {
        await admin.get(kind, { namespace, name });
        return false;
      } catch (err) {
        if ((err as { code?: number }).code === 404) return true;
        throw err;
      }
    },
  };
}
