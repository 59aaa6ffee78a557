/**
 * Readers for JSON of unknown shape. Mutating webhooks see objects before the CRD schema has
 * checked them, and the handler must survive any body, so nothing here trusts a type.
 */
export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function recordAt(value: unknown, key: string): JsonRecord | undefined {
  if (!isRecord(value)) return undefined;
  const child = value[key];
  return isRecord(child) ? child : undefined;
}

export function arrayAt(value: unknown, key: string): unknown[] {
  if (!isRecord(value)) return [];
  const child = value[key];
  return Array.isArray(child) ? child : [];
}

export function stringAt(value: unknown, key: string): string | undefined {
  if (!isRecord(value)) return undefined;
  const child = value[key];
  return typeof child === 'string' ? child : undefined;
}

/** A map of strings, or undefined when the value is absent or not such a map. */
export function stringMap(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') return undefined;
    out[key] = v;
  }
  return out;
}

/**
 * A value of any shape as text for an error message: strings as they are, anything else as
 * JSON, cut to `max` characters. Never throws: `String(value)` would, for an object whose
 * `toString` is not a function (a request body can say anything).
 */
export function shown(value: unknown, max = 120): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else {
    try {
      text = JSON.stringify(value) ?? typeof value;
    } catch {
      text = typeof value;
    }
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
