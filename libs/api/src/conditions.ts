/** Condition types and reasons of the four kinds (docs/api.md). */

export const ConditionType = {
  Ready: 'Ready',
  Suspended: 'Suspended',
  PodScheduled: 'PodScheduled',
  Finished: 'Finished',
  /** [ext] SandboxWarmPool. */
  Available: 'Available',
  /** [ext] SandboxWarmPool. */
  Progressing: 'Progressing',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

export const ConditionStatus = { True: 'True', False: 'False', Unknown: 'Unknown' } as const;
export type ConditionStatus = (typeof ConditionStatus)[keyof typeof ConditionStatus];

/** Reasons of a Sandbox's conditions. */
export const SandboxReason = {
  // Ready
  DependenciesReady: 'DependenciesReady',
  DependenciesNotReady: 'DependenciesNotReady',
  SandboxSuspended: 'SandboxSuspended',
  PodSucceeded: 'PodSucceeded',
  PodFailed: 'PodFailed',
  SandboxExpired: 'SandboxExpired',
  MultiplePods: 'MultiplePods',
  ReconcilerError: 'ReconcilerError',
  // Suspended
  PodTerminated: 'PodTerminated',
  PodTerminating: 'PodTerminating',
  PodNotOwned: 'PodNotOwned',
  NotSuspended: 'NotSuspended',
  PodStateUnknown: 'PodStateUnknown',
} as const;
export type SandboxReason = (typeof SandboxReason)[keyof typeof SandboxReason];

/** Reasons of a SandboxClaim's Ready condition besides those forwarded from its Sandbox. */
export const ClaimReason = {
  WarmPoolNotFound: 'WarmPoolNotFound',
  TemplateNotFound: 'TemplateNotFound',
  AdoptionConflict: 'AdoptionConflict',
  SandboxCreatePending: 'SandboxCreatePending',
  InvalidMetadata: 'InvalidMetadata',
  EnvVarsInjectionRejected: 'EnvVarsInjectionRejected',
  VolumeClaimTemplatesError: 'VolumeClaimTemplatesError',
  ClaimExpired: 'ClaimExpired',
  SandboxMissing: 'SandboxMissing',
  SandboxExpired: 'SandboxExpired',
  SandboxNotReady: 'SandboxNotReady',
  ReconcilerError: 'ReconcilerError',
} as const;
export type ClaimReason = (typeof ClaimReason)[keyof typeof ClaimReason];

/** Claim Ready reasons a client treats as final: waiting longer will not make the claim Ready. */
export const FINAL_CLAIM_REASONS: ReadonlySet<string> = new Set([
  ClaimReason.InvalidMetadata,
  ClaimReason.EnvVarsInjectionRejected,
  ClaimReason.VolumeClaimTemplatesError,
  ClaimReason.ClaimExpired,
  ClaimReason.SandboxExpired,
]);

/** Reasons of a SandboxWarmPool's [ext] conditions. */
export const WarmPoolReason = {
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
  ReplicasUpdating: 'ReplicasUpdating',
  ReplicasUpToDate: 'ReplicasUpToDate',
  /** Members cannot be scheduled: the pool holds them and says so. */
  NotProgressing: 'NotProgressing',
  TemplateNotFound: 'TemplateNotFound',
  ReconcilerError: 'ReconcilerError',
} as const;
export type WarmPoolReason = (typeof WarmPoolReason)[keyof typeof WarmPoolReason];

/** Reasons of a SandboxTemplate's [ext] conditions. */
export const TemplateReason = {
  NetworkPolicyReady: 'NetworkPolicyReady',
  NetworkPolicyUnmanaged: 'NetworkPolicyUnmanaged',
  ReconcilerError: 'ReconcilerError',
} as const;
export type TemplateReason = (typeof TemplateReason)[keyof typeof TemplateReason];
