/** Shared set-up of the API suites: CRDs installed, a namespace of their own, typed clients. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Sandbox, SandboxClaim, SandboxTemplate, SandboxWarmPool } from '@agent-sandbox/api';
import { agentSandboxClients, KubeApiError, type AgentSandboxClients } from '@agent-sandbox/api/client';
import { installCrds } from '@agent-sandbox/api/crds';
import { ensureBinaries } from '@agent-sandbox/controlplane';
import { createTestNamespace, localControlPlane, testKubeConfig, type TestNamespace } from '@agent-sandbox/controlplane/testing';
import { expect } from 'vitest';

export const FIELD_MANAGER = 'api-tests';

export interface ApiSuite {
  kc: KubeConfig;
  ns: TestNamespace;
  clients: AgentSandboxClients;
}

/** Installs the CRDs (every suite does: installs must be idempotent and safe concurrently). */
export async function apiSuite(prefix: string): Promise<ApiSuite> {
  const kc = testKubeConfig();
  await installCrds(kc);
  const ns = await createTestNamespace(prefix, kc);
  return { kc, ns, clients: agentSandboxClients(kc) };
}

export const podSpec = () => ({
  containers: [{ name: 'main', image: 'python:3.12-slim', ports: [{ containerPort: 8888 }] }],
});

export const sandbox = (namespace: string, name: string, spec: Partial<Sandbox['spec']> = {}): Sandbox => ({
  apiVersion: 'agents.x-k8s.io/v1beta1',
  kind: 'Sandbox',
  metadata: { name, namespace },
  spec: { podTemplate: { spec: podSpec() }, ...spec },
});

export const template = (namespace: string, name: string, spec: Partial<SandboxTemplate['spec']> = {}): SandboxTemplate => ({
  apiVersion: 'extensions.agents.x-k8s.io/v1beta1',
  kind: 'SandboxTemplate',
  metadata: { name, namespace },
  spec: { podTemplate: { spec: podSpec() }, ...spec },
});

export const warmPool = (namespace: string, name: string, spec: Partial<SandboxWarmPool['spec']> = {}): SandboxWarmPool => ({
  apiVersion: 'extensions.agents.x-k8s.io/v1beta1',
  kind: 'SandboxWarmPool',
  metadata: { name, namespace },
  spec: { sandboxTemplateRef: { name: 'tpl' }, ...spec },
});

export const claim = (namespace: string, name: string, spec: Partial<SandboxClaim['spec']> = {}): SandboxClaim => ({
  apiVersion: 'extensions.agents.x-k8s.io/v1beta1',
  kind: 'SandboxClaim',
  metadata: { name, namespace },
  spec: { warmPoolRef: { name: 'pool' }, ...spec },
});

/** Expects the API server to refuse with `code`, its message containing every fragment. */
export async function expectRejected(write: Promise<unknown>, code: number, ...fragments: string[]): Promise<KubeApiError> {
  const err = await write.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the API server accepted the write').toBeInstanceOf(KubeApiError);
  const apiError = err as KubeApiError;
  expect(apiError.code, apiError.message).toBe(code);
  for (const fragment of fragments) expect(apiError.message).toContain(fragment);
  return apiError;
}

/** The pinned kubectl, run against the test cluster. */
export async function kubectl(kubeconfig: string, ...args: string[]): Promise<string> {
  const binary = (await localControlPlane())?.binaries.kubectl ?? (await ensureBinaries()).kubectl;
  const { stdout } = await promisify(execFile)(binary, ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}
