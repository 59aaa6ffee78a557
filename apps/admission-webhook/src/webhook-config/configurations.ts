/**
 * The Mutating- and ValidatingWebhookConfiguration, from this one source: the checked-in
 * manifests in deploy/webhook/ (rendered by render.ts, golden-tested), the tests (which point
 * them at a URL on loopback) and the caBundle patcher all use it.
 */
import type {
  V1LabelSelector,
  V1MutatingWebhookConfiguration,
  V1RuleWithOperations,
  V1ValidatingWebhookConfiguration,
  AdmissionregistrationV1WebhookClientConfig as WebhookClientConfig,
} from '@kubernetes/client-node';
import { EXTENSIONS_GROUP, SANDBOX, SANDBOX_CLAIM, SANDBOX_GROUP, SANDBOX_TEMPLATE, SANDBOX_WARM_POOL, API_VERSION_NAME } from '@agent-sandbox/api';

export const DEFAULT_CONFIGURATION_NAME = 'agent-sandbox-admission';
export const MUTATING_WEBHOOK_NAME = 'mutate.agents.x-k8s.io';
export const VALIDATING_WEBHOOK_NAME = 'validate.agents.x-k8s.io';
export const MUTATE_PATH = '/mutate';
export const VALIDATE_PATH = '/validate';

/** A namespace labelled `agents.x-k8s.io/admission-webhook=disabled` is left alone (labelling namespaces is an administrator's right). */
export const OPT_OUT_NAMESPACE_LABEL = 'agents.x-k8s.io/admission-webhook';
export const OPT_OUT_VALUE = 'disabled';

export const DEFAULT_NAMESPACE_SELECTOR: V1LabelSelector = {
  matchExpressions: [{ key: OPT_OUT_NAMESPACE_LABEL, operator: 'NotIn', values: [OPT_OUT_VALUE] }],
};

export type WebhookEndpoint = { service: { namespace: string; name: string; port: number } } | { url: string };

export interface WebhookConfigurationOptions {
  name?: string;
  /** Where the API server sends reviews: a Service (in a cluster) or a base URL (tests). */
  endpoint: WebhookEndpoint;
  /** Base64 PEM of the CA that signed the serving certificate; unset: injected later. */
  caBundle?: string;
  namespaceSelector?: V1LabelSelector;
  /** Seconds the API server waits for an answer (1-30). */
  timeoutSeconds?: number;
  failurePolicy?: 'Fail' | 'Ignore';
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

function clientConfig(endpoint: WebhookEndpoint, path: string, caBundle: string | undefined): WebhookClientConfig {
  const config: WebhookClientConfig =
    'url' in endpoint ? { url: `${endpoint.url.replace(/\/$/, '')}${path}` } : { service: { ...endpoint.service, path } };
  if (caBundle) config.caBundle = caBundle;
  return config;
}

function rule(group: string, resources: string[], operations: string[]): V1RuleWithOperations {
  return { apiGroups: [group], apiVersions: [API_VERSION_NAME], resources, operations, scope: 'Namespaced' };
}

const MUTATING_RULES = [
  rule(SANDBOX_GROUP, [SANDBOX.plural], ['CREATE', 'UPDATE']),
  rule(EXTENSIONS_GROUP, [SANDBOX_TEMPLATE.plural], ['CREATE', 'UPDATE']),
  rule(EXTENSIONS_GROUP, [SANDBOX_CLAIM.plural], ['CREATE']),
];

const VALIDATING_RULES = [
  rule(SANDBOX_GROUP, [SANDBOX.plural], ['CREATE', 'UPDATE']),
  rule(EXTENSIONS_GROUP, [SANDBOX_TEMPLATE.plural, SANDBOX_CLAIM.plural, SANDBOX_WARM_POOL.plural], ['CREATE', 'UPDATE']),
  rule(EXTENSIONS_GROUP, [`${SANDBOX_WARM_POOL.plural}/scale`], ['UPDATE']),
];

function metadata(options: WebhookConfigurationOptions) {
  return {
    name: options.name ?? DEFAULT_CONFIGURATION_NAME,
    labels: { 'app.kubernetes.io/name': 'admission-webhook', 'app.kubernetes.io/part-of': 'agent-sandbox', ...options.labels },
    ...(options.annotations ? { annotations: options.annotations } : {}),
  };
}

/** Both configurations, mutating first. */
export function webhookConfigurations(
  options: WebhookConfigurationOptions,
): [V1MutatingWebhookConfiguration, V1ValidatingWebhookConfiguration] {
  const common = {
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    matchPolicy: 'Equivalent',
    failurePolicy: options.failurePolicy ?? 'Fail',
    timeoutSeconds: options.timeoutSeconds ?? 5,
    namespaceSelector: options.namespaceSelector ?? DEFAULT_NAMESPACE_SELECTOR,
    // Every object of our kinds: exemptions go by namespace, which users cannot relabel.
    objectSelector: {},
  };
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: metadata(options),
      webhooks: [
        {
          name: MUTATING_WEBHOOK_NAME,
          clientConfig: clientConfig(options.endpoint, MUTATE_PATH, options.caBundle),
          rules: MUTATING_RULES,
          // Another mutating webhook may add containers after us: run again to default them.
          reinvocationPolicy: 'IfNeeded',
          ...common,
        },
      ],
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: metadata(options),
      webhooks: [
        {
          name: VALIDATING_WEBHOOK_NAME,
          clientConfig: clientConfig(options.endpoint, VALIDATE_PATH, options.caBundle),
          rules: VALIDATING_RULES,
          ...common,
        },
      ],
    },
  ];
}
