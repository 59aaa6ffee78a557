/**
 * Schema builders: each call returns the OpenAPI v3 (structural, CRD-flavoured) schema of a
 * field together with the TypeScript type of its values, so that one declaration gives both
 * the CRD and the model types (`Infer<typeof x>`). Every builder takes the field's
 * description first: `kubectl explain` documents the whole API.
 */

/** The subset of apiextensions.k8s.io/v1 JSONSchemaProps we write, with its wire names. */
export interface JsonSchema {
  description?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  enum?: readonly unknown[];
  default?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  required?: readonly string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  anyOf?: readonly JsonSchema[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: readonly string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: readonly ValidationRule[];
  [key: string]: unknown;
}

/** A CEL rule (`x-kubernetes-validations` entry). */
export interface ValidationRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** A field's schema; `T` exists only for the type checker. */
export interface Schema<T> {
  readonly json: JsonSchema;
  /** Never set: carries the value type for `Infer`. */
  readonly __type?: T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type Properties = Record<string, Schema<unknown>>;

type ObjectOf<P extends Properties, R extends string> = Simplify<
  { -readonly [K in keyof P as K extends R ? K : never]-?: Infer<P[K]> } & {
    -readonly [K in keyof P as K extends R ? never : K]?: Infer<P[K]>;
  }
>;

function schema<T>(json: JsonSchema): Schema<T> {
  return { json };
}

function clean(json: JsonSchema): JsonSchema {
  return Object.fromEntries(Object.entries(json).filter(([, v]) => v !== undefined)) as JsonSchema;
}

export interface StringOptions {
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  default?: string;
}

export function string(description: string, options: StringOptions = {}): Schema<string> {
  return schema(clean({ description, type: 'string', ...options }));
}

/** An RFC 3339 timestamp, as a string on the wire. */
export function dateTime(description: string): Schema<string> {
  return string(description, { format: 'date-time' });
}

export function enumOf<const V extends string>(
  description: string,
  values: readonly V[],
  options: { default?: NoInfer<V> } = {},
): Schema<V> {
  return schema(clean({ description, type: 'string', enum: values, default: options.default }));
}

export interface IntegerOptions {
  format?: 'int32' | 'int64';
  minimum?: number;
  maximum?: number;
  default?: number;
}

export function integer(description: string, options: IntegerOptions = {}): Schema<number> {
  return schema(clean({ description, type: 'integer', format: options.format ?? 'int32', ...options }));
}

export function boolean(description: string, options: { default?: boolean } = {}): Schema<boolean> {
  return schema(clean({ description, type: 'boolean', ...options }));
}

/** An integer or a string such as a percentage (`x-kubernetes-int-or-string`). */
export function intOrString(description: string, options: { pattern?: string } = {}): Schema<number | string> {
  return schema(
    clean({
      description,
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      'x-kubernetes-int-or-string': true,
      pattern: options.pattern,
    }),
  );
}

export function stringMap(description: string): Schema<Record<string, string>> {
  return schema({ description, type: 'object', additionalProperties: { type: 'string' } });
}

export type ListOptions =
  | { listType: 'atomic' | 'set'; maxItems?: number; minItems?: number }
  | { listType: 'map'; mapKeys: readonly string[]; maxItems?: number; minItems?: number };

export function array<T>(description: string, items: Schema<T>, options: ListOptions): Schema<T[]> {
  return schema(
    clean({
      description,
      type: 'array',
      items: items.json,
      'x-kubernetes-list-type': options.listType,
      'x-kubernetes-list-map-keys': options.listType === 'map' ? options.mapKeys : undefined,
      maxItems: options.maxItems,
      minItems: options.minItems,
    }),
  );
}

export interface ObjectOptions<R extends string> {
  required?: readonly R[];
  /** Applied when the object is absent, before its fields' own defaults (use `{}`). */
  default?: Record<string, unknown>;
  validations?: readonly ValidationRule[];
}

export function object<P extends Properties, const R extends keyof P & string = never>(
  description: string,
  properties: P,
  options: ObjectOptions<R> = {},
): Schema<ObjectOf<P, R>> {
  return schema(
    clean({
      description,
      type: 'object',
      properties: Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, v.json])),
      required: options.required && options.required.length > 0 ? options.required : undefined,
      default: options.default,
      'x-kubernetes-validations': options.validations,
    }),
  );
}

/** Schemas known by the name of a type they describe (for documentation only; the JSON is unchanged). */
const typeNames = new WeakMap<JsonSchema, string>();

/** The same schema, known in generated documentation as `typeName` (e.g. `metav1.Condition`), described once. */
export function named<T>(s: Schema<T>, typeName: string): Schema<T> {
  typeNames.set(s.json, typeName);
  return s;
}

/**
 * A schema written elsewhere (e.g. imported from Kubernetes), with our description. `typeName`
 * (e.g. `core/v1 PodSpec`) names it in generated documentation, which does not repeat its fields.
 */
export function external<T>(description: string, json: JsonSchema, typeName?: string): Schema<T> {
  const s = schema<T>({ ...json, description });
  return typeName ? named(s, typeName) : s;
}

/** The name `named` or `external` gave to this very schema object, if any. */
export function typeNameOf(json: JsonSchema): string | undefined {
  return typeNames.get(json);
}

/** The same schema with CEL rules added. */
export function withValidations<T>(s: Schema<T>, validations: readonly ValidationRule[]): Schema<T> {
  return schema({ ...s.json, 'x-kubernetes-validations': [...(s.json['x-kubernetes-validations'] ?? []), ...validations] });
}
