/** values.yaml, values.schema.json and the README's values tables, from the value declarations. */
import { stringify } from 'yaml';
import { leaves, type JsonSchema, type Value } from '../values/builder.ts';
import { KUBERNETES_DEFINITIONS } from '../values/kubernetes.ts';

export const GENERATED_BY = 'tools/chart (npm run chart:generate)';

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function isEmptyOrScalar(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return true;
  return Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0;
}

function yamlOf(v: unknown): string {
  return stringify(v, { lineWidth: 0, defaultStringType: 'PLAIN', nullStr: 'null' }).trimEnd();
}

function valuesLines(values: Readonly<Record<string, Value>>, indent: number): string[] {
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (indent === 0 && out.length > 0) out.push('');
    for (const line of wrap(value.description, 100 - indent - 2)) out.push(`${pad}# ${line}`);
    if (value.children && Object.keys(value.children).length > 0) {
      out.push(`${pad}${key}:`);
      out.push(...valuesLines(value.children, indent + 2));
    } else if (isEmptyOrScalar(value.default)) {
      out.push(`${pad}${key}: ${yamlOf(value.default)}`);
    } else {
      out.push(`${pad}${key}:`);
      for (const line of yamlOf(value.default).split('\n')) out.push(`${pad}  ${line}`);
    }
  }
  return out;
}

/** values.yaml: every key with its default, each preceded by its description. */
export function renderValuesYaml(chart: string, values: Readonly<Record<string, Value>>): string {
  const header = [
    `# Values of the ${chart} chart, generated from tools/chart/src/values/charts.ts by ${GENERATED_BY}; do not edit.`,
    '# Every key is checked by values.schema.json (a misspelt key or a wrong type is refused) and listed',
    '# in README.md.',
    '',
  ];
  return [...header, ...valuesLines(values, 0)].join('\n') + '\n';
}

function refsIn(schema: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) for (const s of schema) refsIn(s, found);
  else if (schema && typeof schema === 'object') {
    for (const [k, v] of Object.entries(schema)) {
      if (k === '$ref' && typeof v === 'string') found.add(v.replace('#/definitions/', ''));
      else refsIn(v, found);
    }
  }
  return found;
}

/** Keys Helm itself puts into a chart's values, beside the chart's own. */
export interface InternalKeys {
  /** Library charts the chart depends on: Helm adds an (empty) entry for each. */
  libraries: readonly string[];
}

const internalSchema = (description: string): JsonSchema => ({ description, type: 'object' });

/** Adds the keys Helm adds (each dependency's entry, `global` inside a subchart's) to a strict schema. */
export function withInternalKeys(schema: JsonSchema, keys: InternalKeys): JsonSchema {
  const properties = { ...(schema.properties as Record<string, JsonSchema>) };
  for (const lib of keys.libraries) properties[lib] = internalSchema(`Added by Helm for the library chart ${lib}; it has no values.`);
  return { ...schema, properties };
}

/** values.schema.json: draft-07, strict everywhere, with the Kubernetes types it uses under `definitions`. */
export function renderSchema(title: string, schema: JsonSchema): string {
  const used = [...refsIn(schema)];
  const definitions: Record<string, JsonSchema> = {};
  // Definitions refer to nothing else, so one pass finds them all.
  for (const name of used.sort()) {
    const def = KUBERNETES_DEFINITIONS[name];
    if (!def) throw new Error(`values schema refers to unknown definition ${name}`);
    definitions[name] = def;
  }
  const document = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $comment: `Generated from ${GENERATED_BY}; do not edit.`,
    title,
    ...schema,
    ...(used.length > 0 ? { definitions } : {}),
  };
  delete (document as JsonSchema).description;
  return JSON.stringify(document, null, 2) + '\n';
}

/** The JSON Schema of a set of values (a strict object). */
export function schemaOf(values: Readonly<Record<string, Value>>): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v.schema])),
  };
}

function typeText(schema: JsonSchema): string {
  if (typeof schema.$ref === 'string') return schema.$ref.replace('#/definitions/', '');
  if (Array.isArray(schema.anyOf)) return (schema.anyOf as JsonSchema[]).map(typeText).join(' \\| ');
  if (schema.type === 'array') {
    const items = schema.items as JsonSchema | undefined;
    return items ? `list of ${typeText(items)}` : 'list';
  }
  if (schema.type === 'object' && schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    return `map of ${typeText(schema.additionalProperties as JsonSchema)}`;
  }
  if (Array.isArray(schema.enum)) {
    return (schema.enum as string[]).map((v) => (v === '' ? '""' : v)).join(' \\| ');
  }
  return String(schema.type ?? 'any');
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** A Markdown table of every value under `prefix`: key, type, default, description. */
export function valuesTable(values: Readonly<Record<string, Value>>, prefix = ''): string {
  const rows = leaves(values).map(({ path, value }) => {
    const key = prefix + path.join('.');
    const def = value.default === undefined ? '' : `\`${cell(JSON.stringify(value.default))}\``;
    return `| \`${key}\` | ${typeText(value.schema)} | ${def} | ${cell(value.description)} |`;
  });
  return ['| key | type | default | description |', '|---|---|---|---|', ...rows].join('\n') + '\n';
}
