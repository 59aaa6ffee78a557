import { describe, expect, it } from 'vitest';
import { fnv1a32 } from './name-hash.ts';

describe('fnv1a32', () => {
  it('matches the published FNV-1a 32-bit test vectors', () => {
    expect(fnv1a32('')).toBe('811c9dc5');
    expect(fnv1a32('a')).toBe('e40c292c');
    expect(fnv1a32('foobar')).toBe('bf9cf968');
  });

  it('hashes UTF-8 bytes, not UTF-16 code units', () => {
    expect(fnv1a32('é')).toBe('1e9de8c1');
  });

  it('keeps leading zeros: always 8 lower-case hex digits', () => {
    expect(fnv1a32('akd')).toBe('0d368b73');
    expect(fnv1a32('my-warm-pool')).toBe('034dafb4');
    expect(fnv1a32('sandbox-1')).toBe('9b9033ee');
  });
});
