import { SANDBOX, SANDBOX_CLAIM, SANDBOX_TEMPLATE, SANDBOX_WARM_POOL, type Sandbox, type SandboxTemplate, type SandboxWarmPool } from '@agent-sandbox/api';
import type { KubeObject } from '@agent-sandbox/runtime';

// The API's resource descriptions are the runtime's ResourceKinds as they are.

export const SandboxKind = SANDBOX;
export const TemplateKind = SANDBOX_TEMPLATE;
export const PoolKind = SANDBOX_WARM_POOL;
export const ClaimKind = SANDBOX_CLAIM;

/** The objects as this program reads them from the cache (timestamps are wire strings). */
export type SandboxObject = Sandbox & KubeObject;
export type TemplateObject = SandboxTemplate & KubeObject;
export type PoolObject = SandboxWarmPool & KubeObject;
