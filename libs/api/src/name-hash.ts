/**
 * FNV-1a, 32 bit, as 8 lower-case hex digits: the standard's hash of object names used in
 * label values (`agents.x-k8s.io/sandbox-name-hash` and friends). Hashes the UTF-8 bytes.
 */
const OFFSET_BASIS = 0x811c9dc5;
const PRIME = 0x01000193;

export function fnv1a32(input: string): string {
  let hash = OFFSET_BASIS;
  for (const byte of new TextEncoder().encode(input)) {
    hash ^= byte;
    hash = Math.imul(hash, PRIME) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** The label value naming an object by the hash of its name. */
export const nameHash = fnv1a32;
