/** Applies the add/replace/test operations this webhook answers with (tests only). */
import type { JsonPatchOp } from '../review/json-patch.ts';

function unescape(token: string): string {
  return token.replaceAll('~1', '/').replaceAll('~0', '~');
}

export function applyPatch<T>(document: T, ops: readonly JsonPatchOp[]): T {
  const doc = structuredClone(document) as unknown;
  for (const op of ops) {
    const tokens = op.path.split('/').slice(1).map(unescape);
    const last = tokens.pop()!;
    let node = doc as Record<string, unknown> | unknown[];
    for (const t of tokens) node = (node as Record<string, unknown>)[t] as Record<string, unknown>;
    if (node === undefined || node === null) throw new Error(`patch ${op.op} ${op.path}: parent missing`);
    const target = node as Record<string, unknown>;
    if (op.op === 'test') {
      if (JSON.stringify(target[last]) !== JSON.stringify(op.value)) throw new Error(`test ${op.path} failed`);
    } else if (op.op === 'replace' && !(last in target)) {
      throw new Error(`replace ${op.path}: nothing there`);
    } else if (Array.isArray(node) && last === '-') {
      node.push(op.value);
    } else {
      target[last] = structuredClone(op.value);
    }
  }
  return doc as T;
}
