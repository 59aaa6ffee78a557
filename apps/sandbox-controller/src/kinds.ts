import type { V1Container, V1NetworkPolicySpec, V1PersistentVolumeClaimSpec, V1PodCondition, V1PodSpec, V1ServiceSpec } from '@kubernetes/client-node';
import { SANDBOX, SANDBOX_TEMPLATE, type Sandbox, type SandboxTemplate } from '@agent-sandbox/api';
import type { KubeObject } from '@agent-sandbox/runtime';

// The API's resource descriptions are the runtime's ResourceKinds as they are.

export const SandboxKind = SANDBOX;
export const SandboxTemplateKind = SANDBOX_TEMPLATE;

/** The objects as this program reads them from the cache (timestamps are wire strings). */
export type SandboxObject = Sandbox & KubeObject;
export type TemplateObject = SandboxTemplate & KubeObject;

export interface PodStatus {
  phase?: string;
  conditions?: V1PodCondition[];
  podIP?: string;
  podIPs?: Array<{ ip: string }>;
}

export interface PodObject extends KubeObject {
  spec?: V1PodSpec;
  status?: PodStatus;
}

export interface ServiceObject extends KubeObject {
  spec?: V1ServiceSpec;
}

export interface PvcObject extends KubeObject {
  spec?: V1PersistentVolumeClaimSpec;
}

export interface NetworkPolicyObject extends KubeObject {
  spec?: V1NetworkPolicySpec;
}

export type Container = V1Container;
