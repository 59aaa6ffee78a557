/**
 * The admission policy: which secure defaults are filled in, which pod features are refused,
 * the warm pool ceiling, claim rules, and who may write reserved keys. Built from flags, then
 * overlaid by a policy file (a mounted ConfigMap), field by field.
 */
import { DEFAULT_ALLOWED_LABEL_DOMAINS } from '@agent-sandbox/api';

export interface PodDefaultsPolicy {
  /** Set `automountServiceAccountToken: false` when the pod spec leaves it unset. */
  disableServiceAccountTokenAutomount: boolean;
  /** Set the pod's `securityContext.seccompProfile` to RuntimeDefault when unset. */
  seccompRuntimeDefault: boolean;
  /** Set each container's `securityContext.allowPrivilegeEscalation: false` when unset. */
  disallowPrivilegeEscalation: boolean;
  /** Set each container's `securityContext.capabilities.drop: [ALL]` when unset. */
  dropAllCapabilities: boolean;
  /** Cluster-wide `runtimeClassName` for pod specs that set none ('' for none). */
  runtimeClassName: string;
  /** Per-namespace `runtimeClassName`, before the cluster-wide one. */
  runtimeClassNameByNamespace: Record<string, string>;
}

export interface PodRulesPolicy {
  /** When non-empty, a pod spec's runtimeClassName must be one of these (and must be set). */
  allowedRuntimeClassNames: string[];
  /** Refuse containers (and init containers) without limits on each of `requiredLimits`. */
  requireResourceLimits: boolean;
  requiredLimits: string[];
}

export interface Policy {
  podDefaults: PodDefaultsPolicy;
  podRules: PodRulesPolicy;
  warmPools: {
    /** The cluster's ceiling on a pool's spec.replicas and spec.maxReplicas. */
    maxReplicas: number;
  };
  claims: {
    /** A claim's shutdownTime may be this far in the past at creation (clock skew, latency). */
    shutdownTimeToleranceMs: number;
    /** Label key domains allowed in additionalPodMetadata (each with its subdomains). */
    allowedLabelDomains: string[];
  };
  /** Principals that may set reserved keys: the programs' own service accounts. */
  trusted: {
    usernames: string[];
    groups: string[];
  };
}

export const DEFAULT_TRUSTED_USERNAMES = ['sandbox-controller', 'claim-controller', 'warmpool-orchestrator', 'ttl-reaper'].map(
  (program) => `system:serviceaccount:agent-sandbox-system:${program}`,
);

export function defaultPolicy(): Policy {
  return {
    podDefaults: {
      disableServiceAccountTokenAutomount: true,
      seccompRuntimeDefault: true,
      disallowPrivilegeEscalation: true,
      dropAllCapabilities: true,
      runtimeClassName: '',
      runtimeClassNameByNamespace: {},
    },
    podRules: { allowedRuntimeClassNames: [], requireResourceLimits: false, requiredLimits: ['cpu', 'memory'] },
    warmPools: { maxReplicas: 100 },
    claims: { shutdownTimeToleranceMs: 10_000, allowedLabelDomains: [...DEFAULT_ALLOWED_LABEL_DOMAINS] },
    trusted: { usernames: [...DEFAULT_TRUSTED_USERNAMES], groups: [] },
  };
}

/** The runtime class a pod spec in `namespace` gets when it names none ('' for none). */
export function defaultRuntimeClass(policy: Policy, namespace: string): string {
  return policy.podDefaults.runtimeClassNameByNamespace[namespace] ?? policy.podDefaults.runtimeClassName;
}

/** Contradictions inside a policy, each in words; empty when the policy is usable. */
export function policyProblems(policy: Policy): string[] {
  const problems: string[] = [];
  const allowed = policy.podRules.allowedRuntimeClassNames;
  if (allowed.length > 0) {
    const defaults = [
      ['podDefaults.runtimeClassName', policy.podDefaults.runtimeClassName] as const,
      ...Object.entries(policy.podDefaults.runtimeClassNameByNamespace).map(
        ([ns, name]) => [`podDefaults.runtimeClassNameByNamespace[${ns}]`, name] as const,
      ),
    ];
    for (const [where, name] of defaults) {
      if (name !== '' && !allowed.includes(name)) {
        problems.push(`${where} is "${name}", which podRules.allowedRuntimeClassNames (${allowed.join(', ')}) does not allow`);
      }
    }
  }
  if (!Number.isSafeInteger(policy.warmPools.maxReplicas) || policy.warmPools.maxReplicas < 0) {
    problems.push(`warmPools.maxReplicas must be a whole number ≥ 0; got ${policy.warmPools.maxReplicas}`);
  }
  if (policy.podRules.requireResourceLimits && policy.podRules.requiredLimits.length === 0) {
    problems.push('podRules.requireResourceLimits is set but podRules.requiredLimits names no resource');
  }
  if (!(policy.claims.shutdownTimeToleranceMs >= 0)) problems.push('claims.shutdownTimeTolerance must not be negative');
  return problems;
}
