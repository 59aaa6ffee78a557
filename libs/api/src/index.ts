/**
 * `@agent-sandbox/api`: the Agent Sandbox v1beta1 API shared by every program: the kinds'
 * types, resource names, enum values and defaults, well-known keys, condition types and
 * reasons, the name hash, ownership helpers, metadata rules and a typed client.
 * (CRDs and schemas: `@agent-sandbox/api/crds`; importing this entry point loads no schema.)
 */
export * from './resources.ts';
export * from './keys.ts';
export * from './conditions.ts';
export * from './messages.ts';
export { expiredAt, isExpired, legacyExpiredCondition, LEGACY_EXPIRED_CONDITION } from './expiry.ts';
export * from './kinds/values.ts';
export type { KubeObject, ObjectMeta } from './kinds/meta.ts';
export type { Sandbox, SandboxSpec, SandboxStatus } from './kinds/sandbox.ts';
export type { SandboxTemplate, SandboxTemplateSpec, SandboxTemplateStatus } from './kinds/sandbox-template.ts';
export type { ClaimEnvVar, SandboxClaim, SandboxClaimSpec, SandboxClaimStatus } from './kinds/sandbox-claim.ts';
export type { SandboxWarmPool, SandboxWarmPoolSpec, SandboxWarmPoolStatus } from './kinds/sandbox-warm-pool.ts';
export type { PodTemplate, VolumeClaimTemplate } from './kinds/blueprint.ts';
export type { Condition } from './schema/kubernetes.ts';
export { fnv1a32, nameHash } from './name-hash.ts';
export { blueprintHash, isFreshMember, PUBLIC_NAMESERVERS, sandboxBlueprint, stableJson, templateHash, usesSecureDefaultPolicy, withoutPodTemplate } from './blueprint.ts';
export { sandboxFromTemplate, templateRefLabels, type SandboxFromTemplateOptions } from './sandbox-from-template.ts';
export { controllerOf, controllerRef, isControlledBy, withControllerRef, type ControllerRefOptions, type OwnerIdentity } from './ownership.ts';
export { isReservedKey, userAnnotations, userLabels } from './metadata-filter.ts';
export { formatFieldError, formatFieldErrors, type FieldError } from './validation/field-error.ts';
export {
  ALLOWED_RESTRICTED_ANNOTATIONS,
  DEFAULT_ALLOWED_LABEL_DOMAINS,
  RESTRICTED_ANNOTATION_DOMAINS,
  validateAdditionalPodMetadata,
  type PodMetadata,
  type PodMetadataValidationOptions,
} from './validation/pod-metadata.ts';
export { isDomainOrSubdomain, labelValueProblems, qualifiedNameProblems } from './validation/syntax.ts';
// The typed client (over @kubernetes/client-node) is `@agent-sandbox/api/client`: the programs
// do not load that library.
