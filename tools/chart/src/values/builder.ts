/**
 * Chart values, declared once: each builder returns a value's JSON Schema, its default and its
 * description together, so values.yaml, values.schema.json and the README's values table are
 * all generated from the same declaration and cannot disagree. Objects are strict
 * (`additionalProperties: false`): a misspelt key is refused by helm before anything renders.
 */

export type JsonSchema = Record<string, unknown>;

export interface Value {
  readonly description: string;
  readonly schema: JsonSchema;
  readonly default: unknown;
  /** Set for groups: the keys under this one. */
  readonly children?: Readonly<Record<string, Value>>;
  /**
   * The program flag this value sets (`--<flag>=<value>`), for values mapped one-to-one onto a
   * flag; the chart's generated `<program>.settingsArgs` template renders them.
   */
  readonly flag?: { name: string; format: FlagFormat };
}

/** How a value is written on the command line. */
export type FlagFormat = 'plain' | 'seconds' | 'commaList' | 'keyValueList';

interface Common {
  /** Maps the value onto this program flag. */
  flag?: string;
}

function leaf(description: string, schema: JsonSchema, def: unknown, common: Common = {}, format: FlagFormat = 'plain'): Value {
  return {
    description,
    schema: { description, ...schema },
    default: def,
    ...(common.flag ? { flag: { name: common.flag, format } } : {}),
  };
}

export function string(description: string, def: string, options: Common & { pattern?: string; minLength?: number } = {}): Value {
  const { flag, ...rest } = options;
  return leaf(description, { type: 'string', ...rest }, def, { flag });
}

export function enumOf<const T extends string>(description: string, values: readonly T[], def: NoInfer<T>, options: Common = {}): Value {
  return leaf(description, { type: 'string', enum: values }, def, options);
}

export function integer(description: string, def: number, options: Common & { minimum?: number; maximum?: number } = {}): Value {
  const { flag, ...rest } = options;
  return leaf(description, { type: 'integer', ...rest }, def, { flag });
}

export function number(description: string, def: number, options: { minimum?: number; maximum?: number } = {}): Value {
  return leaf(description, { type: 'number', ...options }, def);
}

export function boolean(description: string, def: boolean, options: Common = {}): Value {
  return leaf(description, { type: 'boolean' }, def, options);
}

/** A Go-style duration as the programs take it: `500ms`, `30s`, `5m`, `1h`. */
export const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$';

export function duration(description: string, def: string, options: Common = {}): Value {
  return leaf(description, { type: 'string', pattern: DURATION_PATTERN }, def, options);
}

/** Whole seconds, written to a flag as `<n>s`. */
export function seconds(description: string, def: number, options: Common & { minimum?: number } = {}): Value {
  const { flag, ...rest } = options;
  return leaf(description, { type: 'integer', minimum: 0, ...rest }, def, { flag }, 'seconds');
}

export function stringList(description: string, def: readonly string[], options: Common & { itemPattern?: string } = {}): Value {
  const items = options.itemPattern ? { type: 'string', pattern: options.itemPattern } : { type: 'string' };
  return leaf(description, { type: 'array', items }, def, { flag: options.flag }, 'commaList');
}

export function stringMap(
  description: string,
  def: Readonly<Record<string, string>>,
  options: Common & { keyPattern?: string; valuePattern?: string } = {},
): Value {
  return leaf(
    description,
    {
      type: 'object',
      ...(options.keyPattern ? { propertyNames: { pattern: options.keyPattern } } : {}),
      additionalProperties: options.valuePattern ? { type: 'string', pattern: options.valuePattern } : { type: 'string' },
    },
    def,
    { flag: options.flag },
    'keyValueList',
  );
}

/** A value whose schema is written out (a Kubernetes type by `$ref`, a union…). */
export function custom(description: string, schema: JsonSchema, def: unknown): Value {
  return leaf(description, schema, def);
}

/** A strict group of values: its default is its children's defaults. */
export function group(description: string, children: Record<string, Value>): Value {
  return {
    description,
    schema: {
      description,
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(Object.entries(children).map(([k, v]) => [k, v.schema])),
    },
    default: Object.fromEntries(Object.entries(children).map(([k, v]) => [k, v.default])),
    children,
  };
}

/** The same value with another default (a program's own default for a shared value). */
export function withDefault(value: Value, def: unknown): Value {
  return { ...value, default: def };
}

/** Every leaf (or opaque object) of a tree with its dotted path, in declaration order. */
export function leaves(children: Readonly<Record<string, Value>>, prefix: readonly string[] = []): { path: string[]; value: Value }[] {
  return Object.entries(children).flatMap(([key, value]) =>
    value.children && Object.keys(value.children).length > 0 ? leaves(value.children, [...prefix, key]) : [{ path: [...prefix, key], value }],
  );
}
