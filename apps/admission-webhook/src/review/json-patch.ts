/** RFC 6902 JSON Patch operations, as a mutating webhook answers with them. */
export type JsonPatchOp = { op: 'add' | 'replace'; path: string; value: unknown } | { op: 'test'; path: string; value: unknown };

/** Escapes one reference token of a JSON Pointer (RFC 6901): `~` → `~0`, `/` → `~1`. */
export function escapePointerToken(token: string | number): string {
  return String(token).replaceAll('~', '~0').replaceAll('/', '~1');
}

export function pointer(...tokens: (string | number)[]): string {
  return tokens.map((t) => `/${escapePointerToken(t)}`).join('');
}
