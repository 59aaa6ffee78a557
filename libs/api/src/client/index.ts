import type { KubeConfig } from '@kubernetes/client-node';
import type { SandboxClaim } from '../kinds/sandbox-claim.ts';
import type { SandboxTemplate } from '../kinds/sandbox-template.ts';
import type { SandboxWarmPool } from '../kinds/sandbox-warm-pool.ts';
import type { Sandbox } from '../kinds/sandbox.ts';
import { SANDBOX, SANDBOX_CLAIM, SANDBOX_TEMPLATE, SANDBOX_WARM_POOL } from '../resources.ts';
import { ResourceClient } from './resource-client.ts';

/** Typed clients for the four kinds. */
export interface AgentSandboxClients {
  sandboxes: ResourceClient<Sandbox>;
  templates: ResourceClient<SandboxTemplate>;
  claims: ResourceClient<SandboxClaim>;
  warmPools: ResourceClient<SandboxWarmPool>;
}

export function agentSandboxClients(kc: KubeConfig): AgentSandboxClients {
  return {
    sandboxes: new ResourceClient<Sandbox>(kc, SANDBOX),
    templates: new ResourceClient<SandboxTemplate>(kc, SANDBOX_TEMPLATE),
    claims: new ResourceClient<SandboxClaim>(kc, SANDBOX_CLAIM),
    warmPools: new ResourceClient<SandboxWarmPool>(kc, SANDBOX_WARM_POOL),
  };
}

export { ResourceClient } from './resource-client.ts';
export type {
  ApplyObject,
  ApplyOptions,
  DeepPartial,
  DeleteOptions,
  ListOptions,
  ObjectList,
  PatchOptions,
  Scale,
  WatchEvent,
  WatchEventType,
  WatchOptions,
  WriteOptions,
} from './resource-client.ts';
export { isAlreadyExists, isConflict, isInvalid, isNotFound, KubeApiError, type StatusDetails } from './errors.ts';
