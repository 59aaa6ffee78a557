/**
 * docs/api-reference.md: every field of the four kinds with its type, default, rules and
 * description, from the same schema builders the CRDs come from (libs/api), so the reference
 * says exactly what `kubectl explain` says and what the API server enforces. Embedded Kubernetes
 * types (PodSpec, PersistentVolumeClaimSpec, NetworkPolicy rules) are named, not repeated; our own
 * named types (metav1.Condition) are described once, at the end.
 */
import { crdName, typeNameOf, KIND_DEFINITIONS, type JsonSchema, type KindDefinition } from '@agent-sandbox/api/crds';

export const API_REFERENCE_FILE = 'docs/api-reference.md';

interface Row {
  path: string;
  type: string;
  required: boolean;
  default: unknown;
  rules: string[];
  description: string;
}

function typeOf(s: JsonSchema): string {
  const external = typeNameOf(s);
  if (external) return external;
  if (s['x-kubernetes-int-or-string']) return 'int or string';
  if (s.type === 'array') {
    const items = s.items ?? {};
    const inner = typeNameOf(items) ?? (items.type === 'object' ? 'object' : typeOf(items));
    return `list of ${inner}`;
  }
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') {
    return `map of ${typeOf(s.additionalProperties)}`;
  }
  if (s.type === 'string' && s.format === 'date-time') return 'time (RFC 3339)';
  if (s.type === 'integer' && s.format) return `integer (${s.format})`;
  return String(s.type ?? 'object');
}

function rulesOf(s: JsonSchema): string[] {
  const rules: string[] = [];
  if (s.enum) rules.push(`one of ${s.enum.map((v) => `\`${String(v)}\``).join(', ')}`);
  if (s.minimum !== undefined) rules.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined) rules.push(`≤ ${s.maximum}`);
  if (s.minLength !== undefined) rules.push(`length ≥ ${s.minLength}`);
  if (s.maxLength !== undefined) rules.push(`length ≤ ${s.maxLength}`);
  if (s.minItems !== undefined) rules.push(`≥ ${s.minItems} items`);
  if (s.maxItems !== undefined) rules.push(`≤ ${s.maxItems} items`);
  if (s.pattern) rules.push(`matches \`${s.pattern}\``);
  if (s['x-kubernetes-list-type'] === 'map') rules.push(`keyed by ${(s['x-kubernetes-list-map-keys'] ?? []).map((k) => `\`${k}\``).join(', ')}`);
  for (const v of s['x-kubernetes-validations'] ?? []) rules.push(`${v.fieldPath ? `\`${v.fieldPath}\`: ` : ''}${v.message}`);
  return rules;
}

/** Named types met while walking (described once, after the kinds), by name. */
type Named = Map<string, JsonSchema>;

/** Every field under `s` (depth first, declaration order), stopping at named types. */
function rows(s: JsonSchema, path: string, required: boolean, named: Named): Row[] {
  const here: Row = { path, type: typeOf(s), required, default: s.default, rules: rulesOf(s), description: s.description ?? '' };
  const name = typeNameOf(s) ?? (s.type === 'array' && s.items ? typeNameOf(s.items) : undefined);
  if (name) {
    const own = typeNameOf(s) ? s : s.items!;
    if (!name.includes('/') && !named.has(name)) named.set(name, own);
  }
  if (typeNameOf(s)) return [here];
  const props = s.type === 'array' && s.items && !typeNameOf(s.items) ? s.items.properties : s.properties;
  const childRequired = new Set(s.type === 'array' ? (s.items?.required ?? []) : (s.required ?? []));
  const itemRules = s.type === 'array' && s.items ? rulesOf(s.items) : [];
  const own = { ...here, rules: [...here.rules, ...itemRules.map((r) => `each item: ${r}`)] };
  if (!props) return [own];
  const prefix = s.type === 'array' ? `${path}[]` : path;
  return [own, ...Object.entries(props).flatMap(([name, child]) => rows(child, `${prefix}.${name}`, childRequired.has(name), named))];
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function table(list: Row[]): string {
  const lines = ['| field | type | default | rules | description |', '|---|---|---|---|---|'];
  for (const r of list) {
    const def = r.default === undefined ? '' : `\`${cell(JSON.stringify(r.default))}\``;
    const rules = [...(r.required ? ['**required**'] : []), ...r.rules].map(cell).join('; ');
    lines.push(`| \`${r.path}\` | ${cell(r.type)} | ${def} | ${rules} | ${cell(r.description)} |`);
  }
  return lines.join('\n');
}

function kindSection(def: KindDefinition, named: Named): string {
  const r = def.resource;
  const schema = def.schema;
  const props = schema.properties ?? {};
  const subresources = ['status', ...(def.scale ? [`scale (\`${def.scale.specReplicasPath}\`, \`${def.scale.statusReplicasPath}\`, \`${def.scale.labelSelectorPath}\`)`] : [])];
  const columns = def.printerColumns.map((c) => `\`${c.name}\`${c.priority ? ' (wide)' : ''}`).join(', ') || 'the name only';
  const parts = [
    `## ${r.kind}`,
    '',
    def.description,
    '',
    `- API version: \`${r.apiVersion}\`, namespaced`,
    `- CRD: \`${crdName(def)}\`; plural \`${r.plural}\`, short name${r.shortNames.length > 1 ? 's' : ''} ${r.shortNames.map((n) => `\`${n}\``).join(', ')}, category \`agent-sandbox\``,
    `- Subresources: ${subresources.join(', ')}`,
    `- \`kubectl get\` columns: ${columns}`,
    '',
  ];
  for (const part of ['spec', 'status'] as const) {
    const s = props[part];
    if (!s) continue;
    parts.push(`### ${r.kind} \`.${part}\``, '', s.description ?? '', '');
    const list = rows(s, part, (schema.required ?? []).includes(part), named).slice(1);
    parts.push(table(list), '');
  }
  return parts.join('\n');
}

export function renderApiReference(): string {
  const named: Named = new Map();
  const kinds = KIND_DEFINITIONS.map((def) => kindSection(def, named));
  return [
    '<!-- Generated from libs/api by `npm run generate` (tools/codegen/src/api-reference.ts); do not edit. -->',
    '# API reference',
    '',
    'Every field of the four kinds, from the schemas the CRDs are generated from: what `kubectl explain`',
    'shows and what the API server enforces at admission. Defaults are applied by the API server.',
    'How the objects behave (status, conditions, who writes what, lifecycle) is in [api.md](api.md).',
    '',
    'Kinds: ' + KIND_DEFINITIONS.map((d) => `[${d.resource.kind}](#${d.resource.kind.toLowerCase()})`).join(', ') + '.',
    '',
    ...kinds,
    ...[...named].flatMap(([name, s]) => [
      `## ${name}`,
      '',
      s.description ?? '',
      '',
      // A copy: the named schema itself stops the walk.
      table(rows({ ...s }, '', false, new Map()).slice(1).map((r) => ({ ...r, path: r.path.replace(/^\./, '') }))),
      '',
    ]),
  ].join('\n');
}
