import { SANDBOX, SANDBOX_CLAIM, SANDBOX_TEMPLATE, SANDBOX_WARM_POOL, type ResourceInfo, type Sandbox, type SandboxClaim, type SandboxTemplate, type SandboxWarmPool } from '@agent-sandbox/api';
import type { KubeObject, ResourceKind } from '@agent-sandbox/runtime';

function resourceKind(info: ResourceInfo): ResourceKind {
  return { group: info.group, version: info.version, kind: info.kind, plural: info.plural, namespaced: true };
}

export const SandboxKind = resourceKind(SANDBOX);
export const TemplateKind = resourceKind(SANDBOX_TEMPLATE);
export const PoolKind = resourceKind(SANDBOX_WARM_POOL);
export const ClaimKind = resourceKind(SANDBOX_CLAIM);

/** The objects as this program reads them from the cache (timestamps are wire strings). */
export type SandboxObject = Sandbox & KubeObject;
export type TemplateObject = SandboxTemplate & KubeObject;
export type PoolObject = SandboxWarmPool & KubeObject;
export type ClaimObject = SandboxClaim & KubeObject;
