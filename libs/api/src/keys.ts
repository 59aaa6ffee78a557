/**
 * Well-known label and annotation keys of the standard (docs/api.md "Well-known labels and
 * annotations"). Tools rely on these exact strings.
 */

/** Prefixes reserved for the system: a user's template never gets keys under them onto a Pod. */
export const RESERVED_KEY_PREFIXES = ['agents.x-k8s.io/', 'extensions.agents.x-k8s.io/'] as const;

// Labels
/** Pod, Service, PVC: FNV-1a hash (8 hex digits) of the sandbox name; the Service selector. */
export const SANDBOX_NAME_HASH_LABEL = 'agents.x-k8s.io/sandbox-name-hash';
/** Sandbox, Pod: hash of the pool name while a member is unclaimed. */
export const WARM_POOL_SANDBOX_LABEL = 'agents.x-k8s.io/warm-pool-sandbox';
/** Template, Sandbox, Pod: hash of the template name (the NetworkPolicy selector). */
export const TEMPLATE_REF_HASH_LABEL = 'agents.x-k8s.io/sandbox-template-ref-hash';
/** Sandbox: hash of the template's blueprint (staleness of pool members). */
export const TEMPLATE_HASH_LABEL = 'agents.x-k8s.io/sandbox-template-hash';
/** Sandbox: `warm` or `cold`. */
export const LAUNCH_TYPE_LABEL = 'agents.x-k8s.io/launch-type';
/** Sandbox, Pod: UID of the owning claim. */
export const CLAIM_UID_LABEL = 'agents.x-k8s.io/claim-uid';
/** Claim, Sandbox, Pod: who made the object. */
export const CREATED_BY_LABEL = 'agents.x-k8s.io/created-by';
/** Pod, Service, PVC: `"true"` lets a sandbox adopt an unowned object. */
export const ADOPTABLE_LABEL = 'agents.x-k8s.io/adoptable';

export const LAUNCH_TYPES = ['warm', 'cold'] as const;
export type LaunchType = (typeof LAUNCH_TYPES)[number];
export const CREATED_BY_VALUES = ['python-client', 'go-client', 'typescript-client', 'controller', 'unknown'] as const;
export type CreatedBy = (typeof CREATED_BY_VALUES)[number];

// Annotations
/** Sandbox: name of the backing Pod. */
export const POD_NAME_ANNOTATION = 'agents.x-k8s.io/pod-name';
/** Sandbox: the template's name. */
export const TEMPLATE_REF_ANNOTATION = 'agents.x-k8s.io/sandbox-template-ref';
/** Claim: the sandbox reserved for the claim. */
export const SANDBOX_NAME_ANNOTATION = 'agents.x-k8s.io/sandbox-name';
/** Claim: RFC 3339 (nano) timestamps for latency metrics. */
export const CLIENT_FIRST_REQUESTED_AT_ANNOTATION = 'agents.x-k8s.io/client-first-requested-at';
export const CONTROLLER_FIRST_OBSERVED_AT_ANNOTATION = 'agents.x-k8s.io/controller-first-observed-at';
export const WEBHOOK_FIRST_OBSERVED_AT_ANNOTATION = 'agents.x-k8s.io/webhook-first-observed-at';
export const CLAIM_FIRST_READY_AT_ANNOTATION = 'agents.x-k8s.io/claim-first-ready-at';
/** Claim, Sandbox: JSON object of W3C trace headers (`traceparent`, `tracestate`). */
export const TRACE_CONTEXT_ANNOTATION = 'opentelemetry.io/trace-context';
/**
 * [ext] Sandbox, Claim: RFC 3339 time at which the ttl-reaper expired the object under
 * `Retain`. Written only by the ttl-reaper; the other programs reflect it (the object's status
 * stays the standard's).
 */
export const EXPIRED_AT_ANNOTATION = 'agents.x-k8s.io/expired-at';
/** Warm Pod: `"true"` on unclaimed members, removed at adoption. */
export const SAFE_TO_EVICT_ANNOTATION = 'cluster-autoscaler.kubernetes.io/safe-to-evict';

/** Label of the sandbox router's pods (a claim may not put it on a sandbox Pod). */
export const ROUTER_APP_LABEL = { key: 'app', value: 'sandbox-router' } as const;
