/**
 * The hot path's suites: the programs (sandbox-controller, warmpool-orchestrator,
 * claim-controller) run as real child processes through the shared e2e/support harness, each as
 * a ServiceAccount bound to exactly its own rbac.yaml, watching one namespace of the test's own.
 */
import { SANDBOX, SANDBOX_CLAIM, SANDBOX_TEMPLATE, SANDBOX_WARM_POOL } from '@agent-sandbox/api';
import type { KubeObject } from '@agent-sandbox/runtime';
import { consistently, programSuite, waitUntil, type ProgramProcess, type ProgramSuite } from '../support/programs.ts';

export { consistently, waitUntil, type ProgramProcess };
export type Suite = ProgramSuite;
export const suite = (prefix: string): Promise<Suite> => programSuite(prefix);

export const SandboxKind = SANDBOX;
export const TemplateKind = SANDBOX_TEMPLATE;
export const PoolKind = SANDBOX_WARM_POOL;
export const ClaimKind = SANDBOX_CLAIM;

export type Obj = KubeObject & { spec?: any; status?: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

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
