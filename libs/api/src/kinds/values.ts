/**
 * Enum values and defaults of the four kinds' specs. The schemas in the kind modules use
 * them; programs import them from here without loading any schema.
 */

export const SHUTDOWN_POLICIES = ['Delete', 'Retain'] as const;
export const OPERATING_MODES = ['Running', 'Suspended'] as const;
export const SANDBOX_DEFAULTS = { shutdownPolicy: 'Retain', operatingMode: 'Running' } as const;

export const NETWORK_POLICY_MANAGEMENT = ['Managed', 'Unmanaged'] as const;
export const INJECTION_POLICIES = ['Allowed', 'Overrides', 'Disallowed'] as const;
export const SANDBOX_TEMPLATE_DEFAULTS = {
  networkPolicyManagement: 'Managed',
  envVarsInjectionPolicy: 'Disallowed',
  volumeClaimTemplatesPolicy: 'Disallowed',
} as const;

export const CLAIM_SHUTDOWN_POLICIES = ['Delete', 'DeleteForeground', 'Retain'] as const;
export const SANDBOX_CLAIM_DEFAULTS = { shutdownPolicy: 'Retain' } as const;

export const UPDATE_STRATEGY_TYPES = ['OnReplenish', 'Recreate', 'RollingUpdate'] as const;
export const SANDBOX_WARM_POOL_DEFAULTS = { replicas: 1, updateStrategyType: 'OnReplenish' } as const;

export type SandboxShutdownPolicy = (typeof SHUTDOWN_POLICIES)[number];
export type OperatingMode = (typeof OPERATING_MODES)[number];
export type NetworkPolicyManagement = (typeof NETWORK_POLICY_MANAGEMENT)[number];
export type InjectionPolicy = (typeof INJECTION_POLICIES)[number];
export type ClaimShutdownPolicy = (typeof CLAIM_SHUTDOWN_POLICIES)[number];
export type UpdateStrategyType = (typeof UPDATE_STRATEGY_TYPES)[number];
