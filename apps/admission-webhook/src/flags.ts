import type { FlagSpecs, FlagValues } from '@agent-sandbox/runtime';
import { DEFAULT_ALLOWED_LABEL_DOMAINS } from '@agent-sandbox/api';
import { FlagError } from '@agent-sandbox/runtime';
import { DEFAULT_TRUSTED_USERNAMES, defaultPolicy, policyProblems, type Policy } from './policy/policy.ts';
import { DEFAULT_CONFIGURATION_NAME } from './webhook-config/configurations.ts';

export const webhookFlags = {
  'bind-address': {
    kind: 'string',
    help: 'Address of the HTTPS webhook endpoints /mutate and /validate (host:port or :port).',
    default: ':9443',
  },
  'tls-cert-dir': {
    kind: 'string',
    help: 'Directory holding tls.crt and tls.key (a mounted cert-manager Secret), reloaded when they change. Empty: generate a CA and a serving certificate at start.',
    default: '',
  },
  'tls-dns-names': {
    kind: 'string',
    help: 'Comma-separated DNS names and IP addresses of a generated serving certificate (the Service names are added).',
    default: 'localhost,127.0.0.1',
  },
  'service-name': { kind: 'string', help: 'Name of the webhook Service (for the generated certificate\'s names).', default: 'admission-webhook' },
  'service-namespace': { kind: 'string', help: 'Namespace of the webhook Service.', default: 'agent-sandbox-system' },
  'patch-ca-bundle': {
    kind: 'boolean',
    help: 'With a generated certificate: write its CA into the caBundle of the webhook configurations (needs a kubeconfig).',
    default: true,
  },
  'webhook-configuration-name': {
    kind: 'string',
    help: 'Name of the MutatingWebhookConfiguration and the ValidatingWebhookConfiguration whose caBundle is patched.',
    default: DEFAULT_CONFIGURATION_NAME,
  },
  kubeconfig: {
    kind: 'string',
    help: 'Path of a kubeconfig; empty: KUBECONFIG, ~/.kube/config or the in-cluster service account. Used to patch the caBundle and to read a pool\'s maxReplicas on scale.',
    default: '',
  },
  'shutdown-delay': {
    kind: 'duration',
    help: 'After SIGTERM, how long to go on accepting connections and answering reviews (each answer closing its connection) before refusing new ones: behind a Service, the time its endpoints take to forget a stopping Pod everywhere. The Helm chart sets 5s.',
    default: 0,
  },
  'reload-interval': {
    kind: 'duration',
    help: 'How often the certificate and policy files are re-read in case a file-system event was missed.',
    default: 10_000,
  },
  'policy-file': {
    kind: 'string',
    help: 'YAML or JSON policy file (a mounted ConfigMap), laid over the flags below and reloaded when it changes.',
    default: '',
  },
  'secure-pod-defaults': {
    kind: 'boolean',
    help: 'Fill in secure pod defaults where unset: automountServiceAccountToken false, seccomp RuntimeDefault, allowPrivilegeEscalation false, drop ALL capabilities.',
    default: true,
  },
  'default-runtime-class': { kind: 'string', help: 'runtimeClassName given to pod specs that set none (empty: none).', default: '' },
  'runtime-class-by-namespace': {
    kind: 'string',
    help: 'Per-namespace default runtimeClassName, as namespace=class,namespace=class (before --default-runtime-class).',
    default: '',
  },
  'allowed-runtime-classes': {
    kind: 'string',
    help: 'Comma-separated runtimeClassNames a pod spec may use; when set, a pod spec must name one (empty: any).',
    default: '',
  },
  'require-resource-limits': { kind: 'boolean', help: 'Refuse containers without resource limits.', default: false },
  'required-limits': { kind: 'string', help: 'Comma-separated resources every container must limit when limits are required.', default: 'cpu,memory' },
  'max-pool-replicas': {
    kind: 'integer',
    help: 'The cluster\'s ceiling on a SandboxWarmPool\'s replicas (and on its spec.maxReplicas).',
    default: 100,
    min: 0,
  },
  'shutdown-time-tolerance': {
    kind: 'duration',
    help: 'How far in the past a new claim\'s shutdownTime may be (clock skew and latency) before it is refused.',
    default: 10_000,
  },
  'allowed-label-domains': {
    kind: 'string',
    help: 'Comma-separated label key domains a claim\'s additionalPodMetadata may use (each with its subdomains).',
    default: DEFAULT_ALLOWED_LABEL_DOMAINS.join(','),
  },
  'trusted-users': {
    kind: 'string',
    help: 'Comma-separated usernames allowed to set reserved agents.x-k8s.io/ keys (the programs\' service accounts).',
    default: DEFAULT_TRUSTED_USERNAMES.join(','),
  },
  'trusted-groups': { kind: 'string', help: 'Comma-separated groups allowed to set reserved keys.', default: '' },
} as const satisfies FlagSpecs;

export type WebhookFlags = FlagValues<typeof webhookFlags>;

export function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function namespaceMap(text: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of list(text)) {
    const eq = entry.indexOf('=');
    if (eq <= 0 || eq === entry.length - 1) {
      throw new FlagError(`--runtime-class-by-namespace: entries must be namespace=class; got "${entry}"`);
    }
    map[entry.slice(0, eq).trim()] = entry.slice(eq + 1).trim();
  }
  return map;
}

/** The policy the flags describe (before any policy file). */
export function policyFromFlags(flags: WebhookFlags): Policy {
  const base = defaultPolicy();
  const secure = flags['secure-pod-defaults'];
  const policy: Policy = {
    podDefaults: {
      disableServiceAccountTokenAutomount: secure,
      seccompRuntimeDefault: secure,
      disallowPrivilegeEscalation: secure,
      dropAllCapabilities: secure,
      runtimeClassName: flags['default-runtime-class'].trim(),
      runtimeClassNameByNamespace: namespaceMap(flags['runtime-class-by-namespace']),
    },
    podRules: {
      allowedRuntimeClassNames: list(flags['allowed-runtime-classes']),
      requireResourceLimits: flags['require-resource-limits'],
      requiredLimits: list(flags['required-limits']),
    },
    warmPools: { maxReplicas: flags['max-pool-replicas'] },
    claims: { shutdownTimeToleranceMs: flags['shutdown-time-tolerance'], allowedLabelDomains: list(flags['allowed-label-domains']) },
    trusted: { usernames: list(flags['trusted-users']), groups: list(flags['trusted-groups']) },
  };
  if (policy.claims.allowedLabelDomains.length === 0) policy.claims.allowedLabelDomains = base.claims.allowedLabelDomains;
  const problems = policyProblems(policy);
  if (problems.length > 0) throw new FlagError(`the policy given by flags is contradictory: ${problems.join('; ')}`);
  return policy;
}
