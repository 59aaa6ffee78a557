/**
 * The admission-webhook subchart's Mutating- and ValidatingWebhookConfiguration, from
 * deploy/webhook/webhook-configurations.yaml (which the admission-webhook renders from its own
 * rules: one source). Everything an install decides is templated: the Service's name and
 * namespace, failurePolicy, timeoutSeconds, namespaceSelector, and where the CA comes from
 * (cert-manager's CA injector, the chart's own CA, or the webhook patching it in).
 *
 * The result defines `admission-webhook.configurations`, called with a dict: `context` (the
 * chart's root context) and `caBundle` (base64 PEM, or empty).
 */
import { parseAllDocuments, stringify } from 'yaml';
import { escapeTemplate } from './crds.ts';

interface WebhookConfiguration {
  apiVersion: string;
  kind: 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration';
  metadata: { name: string; labels?: unknown; annotations?: unknown };
  webhooks: {
    name: string;
    clientConfig: { service?: { namespace: string; name: string; port: number; path: string }; url?: string; caBundle?: string };
    failurePolicy?: unknown;
    timeoutSeconds?: unknown;
    namespaceSelector?: unknown;
  }[];
}

/** Placeholders set in the parsed objects, each replaced by template lines at its indentation. */
const PLACEHOLDERS: Record<string, (indent: string) => string[]> = {
  __LABELS__: (i) => [`${i}labels:`, `${i}  {{- include "agent-sandbox-lib.labels" $ctx | nindent ${i.length + 2} }}`],
  __ANNOTATIONS__: (i) => [
    `${i}{{- if $ctx.Values.certManager.enabled }}`,
    `${i}annotations:`,
    `${i}  # cert-manager's CA injector writes the serving certificate's CA into every caBundle.`,
    `${i}  cert-manager.io/inject-ca-from: {{ $ctx.Release.Namespace }}/{{ include "agent-sandbox-lib.name" $ctx }}`,
    `${i}{{- end }}`,
  ],
  __SERVICE_NAMESPACE__: (i) => [`${i}namespace: {{ $ctx.Release.Namespace }}`],
  __SERVICE_NAME__: (i) => [`${i}name: {{ include "agent-sandbox-lib.name" $ctx }}`],
  __CA_BUNDLE__: (i) => [`${i}{{- with .caBundle }}`, `${i}caBundle: {{ . }}`, `${i}{{- end }}`],
  __FAILURE_POLICY__: (i) => [`${i}failurePolicy: {{ $ctx.Values.failurePolicy }}`],
  __TIMEOUT_SECONDS__: (i) => [`${i}timeoutSeconds: {{ $ctx.Values.timeoutSeconds }}`],
  __NAMESPACE_SELECTOR__: (i) => [`${i}namespaceSelector:`, `${i}  {{- toYaml $ctx.Values.namespaceSelector | nindent ${i.length + 2} }}`],
};

function templated(config: WebhookConfiguration, source: string): WebhookConfiguration {
  return {
    ...config,
    metadata: { name: config.metadata.name, labels: '__LABELS__', annotations: '__ANNOTATIONS__' },
    webhooks: config.webhooks.map((w) => {
      const service = w.clientConfig.service;
      if (!service) throw new Error(`${source}: webhook ${w.name} is not called through a Service`);
      return {
        ...w,
        clientConfig: {
          service: { namespace: '__SERVICE_NAMESPACE__', name: '__SERVICE_NAME__', port: service.port, path: service.path },
          caBundle: '__CA_BUNDLE__',
        },
        failurePolicy: '__FAILURE_POLICY__',
        timeoutSeconds: '__TIMEOUT_SECONDS__',
        namespaceSelector: '__NAMESPACE_SELECTOR__',
      };
    }),
  };
}

function substitute(yaml: string): string {
  return yaml
    .split('\n')
    .flatMap((line) => {
      const match = /^(\s*)(?:- )?[\w.]+: (__[A-Z_]+__)$/.exec(line);
      if (!match) return [line];
      const fill = PLACEHOLDERS[match[2]!];
      if (!fill) throw new Error(`unknown placeholder ${match[2]}`);
      return fill(match[1]!);
    })
    .join('\n');
}

export function renderWebhookConfigurationsTemplate(text: string, source: string): string {
  const configs = parseAllDocuments(text).map((d) => d.toJSON() as WebhookConfiguration);
  const kinds = configs.map((c) => c.kind).sort();
  if (kinds.join() !== 'MutatingWebhookConfiguration,ValidatingWebhookConfiguration') {
    throw new Error(`${source}: expected one MutatingWebhookConfiguration and one ValidatingWebhookConfiguration`);
  }
  const body = configs
    .map((c) => substitute(escapeTemplate(stringify(templated(c, source), { lineWidth: 0 })).trimEnd()))
    .join('\n---\n');
  return [
    `{{- /* Generated from ${source} by tools/chart (npm run chart:generate); do not edit. */}}`,
    '{{- define "admission-webhook.configurations" -}}',
    '{{- $ctx := .context -}}',
    body,
    '{{- end }}',
    '',
  ].join('\n');
}
