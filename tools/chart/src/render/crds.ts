/**
 * The `crds` subchart's templates, from deploy/crds/ (generated from libs/api: one source). As
 * templates rather than Helm's crds/ folder, so that `helm upgrade` upgrades them and
 * `crds.enabled` / `crds.keep` apply (the cert-manager way).
 */
import { parse, stringify } from 'yaml';

/** Labels the library chart sets on everything; the source's own copies are dropped. */
const LIBRARY_LABELS = new Set([
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/version',
  'app.kubernetes.io/part-of',
  'app.kubernetes.io/managed-by',
  'helm.sh/chart',
]);

/** Text that Helm must print as is: `{{` would start a template action. */
export function escapeTemplate(text: string): string {
  return text.replaceAll('{{', '{{ "{{" }}');
}

interface Crd {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: unknown;
}

/** The source's annotations, and `helm.sh/resource-policy: keep` while `keep` is set. */
function annotationLines(annotations: [string, string][]): string[] {
  const keep = [
    '    {{- if .Values.keep }}',
    '    # Uninstalling the release leaves the CRDs, and so every object of their kinds, in place.',
    '    helm.sh/resource-policy: keep',
    '    {{- end }}',
  ];
  if (annotations.length > 0) return ['  annotations:', ...annotations.map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`), ...keep];
  return ['  {{- if .Values.keep }}', '  annotations:', ...keep.slice(1, 3), '  {{- end }}'];
}

export function renderCrdTemplate(text: string, source: string): string {
  const crd = parse(text) as Crd;
  if (crd?.kind !== 'CustomResourceDefinition') throw new Error(`${source}: not a CustomResourceDefinition`);
  const labels = Object.entries(crd.metadata.labels ?? {}).filter(([k]) => !LIBRARY_LABELS.has(k));
  const annotations = Object.entries(crd.metadata.annotations ?? {});
  const spec = stringify({ spec: crd.spec }, { lineWidth: 0, aliasDuplicateObjects: false }).trimEnd();
  return [
    `{{- /* Generated from ${source} by tools/chart (npm run chart:generate); do not edit. */}}`,
    '{{- if .Values.enabled }}',
    `apiVersion: ${crd.apiVersion}`,
    `kind: ${crd.kind}`,
    'metadata:',
    `  name: ${crd.metadata.name}`,
    '  labels:',
    ...labels.map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`),
    '    {{- include "agent-sandbox-lib.labels" . | nindent 4 }}',
    ...annotationLines(annotations),
    escapeTemplate(spec),
    '{{- end }}',
    '',
  ].join('\n');
}
