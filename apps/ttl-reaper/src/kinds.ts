import { SANDBOX, SANDBOX_CLAIM, type Sandbox, type SandboxClaim } from '@agent-sandbox/api';
import type { KubeObject } from '@agent-sandbox/runtime';

export const SandboxKind = SANDBOX;
export const ClaimKind = SANDBOX_CLAIM;

/** The objects as the reaper reads them from its cache (timestamps are wire strings). */
export type SandboxObject = Sandbox & KubeObject;
export type ClaimObject = SandboxClaim & KubeObject;
