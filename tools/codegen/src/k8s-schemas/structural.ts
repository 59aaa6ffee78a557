/**
 * Turns a definition from the API server's published OpenAPI v3 into a structural schema a
 * CustomResourceDefinition accepts: every `$ref` inlined (CRD schemas may not contain one),
 * the special apimachinery types spelled the way CRDs spell them, and every keyword a CRD
 * rejects left out. An unknown keyword fails the conversion so that a newer Kubernetes never
 * loses a rule silently.
 */

export type OpenApiSchema = { [key: string]: unknown };

/** Keywords a CRD's JSONSchemaProps holds and that we carry over as they are. */
const KEPT = new Set([
  'description',
  'type',
  'format',
  'enum',
  'required',
  'maximum',
  'minimum',
  'exclusiveMaximum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'maxProperties',
  'minProperties',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);

/**
 * Keywords dropped on purpose:
 * - `default`: the API server defaults the Pod and PVC the controllers create from these
 *   specs; defaulting them inside our objects too would only bloat them and change hashes.
 * - patch strategy markers and unions: strategic-merge-patch metadata, which CRDs do not have.
 * - `x-kubernetes-group-version-kind`: only on top-level kinds.
 */
const DROPPED = new Set([
  'default',
  'x-kubernetes-patch-merge-key',
  'x-kubernetes-patch-strategy',
  'x-kubernetes-unions',
  'x-kubernetes-group-version-kind',
]);

const REF_PREFIX = '#/components/schemas/';

/**
 * The grammar of resource.Quantity (see its OpenAPI description): a signed decimal number
 * with an optional binary-SI, decimal-SI or exponent suffix.
 */
export const QUANTITY_PATTERN =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

/** Types whose wire form is not what their OpenAPI object shape suggests. */
const SPECIAL: Record<string, (description: string | undefined) => OpenApiSchema> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': (description) => ({
    ...(description ? { description } : {}),
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    'x-kubernetes-int-or-string': true,
  }),
  'io.k8s.apimachinery.pkg.api.resource.Quantity': (description) => ({
    ...(description ? { description } : {}),
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    pattern: QUANTITY_PATTERN,
    'x-kubernetes-int-or-string': true,
  }),
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': (description) => ({
    ...(description ? { description } : {}),
    type: 'string',
    format: 'date-time',
  }),
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': (description) => ({
    ...(description ? { description } : {}),
    type: 'string',
    format: 'date-time',
  }),
  // Only an ephemeral volume's PVC template embeds ObjectMeta, and Kubernetes uses just its
  // labels and annotations there ("no other fields are allowed").
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': (description) => ({
    description:
      description ??
      'Labels and annotations for the object made from this template; no other metadata fields are allowed.',
    type: 'object',
    properties: {
      labels: {
        description: 'Labels to copy onto the object.',
        type: 'object',
        additionalProperties: { type: 'string' },
      },
      annotations: {
        description: 'Annotations to copy onto the object.',
        type: 'object',
        additionalProperties: { type: 'string' },
      },
    },
  }),
};

export class SchemaConversionError extends Error {}

/**
 * The structural form of the definition `name` (e.g. `io.k8s.api.core.v1.PodSpec`), with every
 * reference resolved against `definitions`.
 */
export function structuralSchema(name: string, definitions: Record<string, OpenApiSchema>): OpenApiSchema {
  return convert({ $ref: REF_PREFIX + name }, definitions, [], name);
}

function refName(schema: OpenApiSchema): string | undefined {
  if (typeof schema.$ref === 'string') return schema.$ref;
  // OpenAPI v3 wraps a reference that carries its own description or default in `allOf`.
  const allOf = schema.allOf;
  if (Array.isArray(allOf) && allOf.length === 1 && typeof (allOf[0] as OpenApiSchema).$ref === 'string') {
    return (allOf[0] as OpenApiSchema).$ref as string;
  }
  return undefined;
}

/**
 * `listMapKeys`: set while converting the items of an `x-kubernetes-list-type: map` list. A
 * CRD requires each key to be required or defaulted, so those keys keep their defaults.
 */
function convert(
  schema: OpenApiSchema,
  definitions: Record<string, OpenApiSchema>,
  stack: string[],
  path: string,
  listMapKeys: readonly string[] = [],
): OpenApiSchema {
  const ref = refName(schema);
  if (ref !== undefined) {
    if (!ref.startsWith(REF_PREFIX)) throw new SchemaConversionError(`${path}: unsupported reference ${ref}`);
    const name = ref.slice(REF_PREFIX.length);
    const ownDescription = typeof schema.description === 'string' ? schema.description : undefined;
    const special = SPECIAL[name];
    if (special) {
      const target = definitions[name];
      return special(ownDescription ?? (target?.description as string | undefined));
    }
    if (stack.includes(name)) throw new SchemaConversionError(`${path}: recursive reference ${[...stack, name].join(' -> ')}`);
    const target = definitions[name];
    if (!target) throw new SchemaConversionError(`${path}: no definition ${name}`);
    const inlined = convert(target, definitions, [...stack, name], path, listMapKeys);
    // The referring property's own words describe the field better than the type's.
    return ownDescription ? { ...inlined, description: ownDescription } : inlined;
  }

  const out: OpenApiSchema = {};
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  for (const [key, value] of Object.entries(schema)) {
    if (KEPT.has(key)) {
      out[key] = value;
    } else if (key === 'properties') {
      const props: Record<string, OpenApiSchema> = {};
      for (const [prop, sub] of Object.entries(value as Record<string, OpenApiSchema>)) {
        props[prop] = convert(sub, definitions, stack, `${path}.${prop}`);
        if (listMapKeys.includes(prop) && !required.includes(prop)) {
          if (sub.default === undefined) throw new SchemaConversionError(`${path}.${prop}: list map key without a default`);
          props[prop] = { ...props[prop], default: sub.default };
        }
      }
      out.properties = props;
    } else if (key === 'items') {
      const keys = schema['x-kubernetes-list-type'] === 'map' ? ((schema['x-kubernetes-list-map-keys'] as string[] | undefined) ?? []) : [];
      out.items = convert(value as OpenApiSchema, definitions, stack, `${path}[]`, keys);
    } else if (key === 'additionalProperties') {
      out.additionalProperties =
        typeof value === 'boolean' ? value : convert(value as OpenApiSchema, definitions, stack, `${path}{}`);
    } else if (!DROPPED.has(key)) {
      throw new SchemaConversionError(`${path}: keyword "${key}" has no CRD equivalent`);
    }
  }
  if (out.type === undefined && out['x-kubernetes-int-or-string'] === undefined) {
    // Structural schemas need a type everywhere; a typeless object definition is an object.
    if (out.properties !== undefined || out.additionalProperties !== undefined) out.type = 'object';
    else throw new SchemaConversionError(`${path}: schema without a type`);
  }
  return out;
}
