import { describe, expect, it } from 'vitest';
import { readElf } from './elf.ts';

/** A minimal 64-bit little-endian ELF header with the given program headers. */
function elf(machine: number, phdrs: { type: number; data?: string }[]): Buffer {
  const phoff = 64;
  const phentsize = 56;
  const dataStart = phoff + phentsize * phdrs.length;
  const blobs = phdrs.map((p) => Buffer.from(p.data ?? ''));
  const out = Buffer.alloc(dataStart + blobs.reduce((n, b) => n + b.length, 0));
  out.writeUInt32BE(0x7f454c46, 0);
  out[4] = 2; // 64-bit
  out[5] = 1; // little-endian
  out.writeUInt16LE(2, 0x10); // ET_EXEC
  out.writeUInt16LE(machine, 0x12);
  out.writeBigUInt64LE(BigInt(phoff), 0x20);
  out.writeUInt16LE(phentsize, 0x36);
  out.writeUInt16LE(phdrs.length, 0x38);
  let at = dataStart;
  phdrs.forEach((p, i) => {
    const ph = phoff + i * phentsize;
    out.writeUInt32LE(p.type, ph);
    out.writeBigUInt64LE(BigInt(at), ph + 8);
    out.writeBigUInt64LE(BigInt(blobs[i]!.length), ph + 32);
    blobs[i]!.copy(out, at);
    at += blobs[i]!.length;
  });
  return out;
}

describe('readElf', () => {
  it('tells a static executable from a dynamic one', () => {
    expect(readElf(elf(0x3e, [{ type: 1 }]))).toEqual({ machine: 'x86_64' });
    expect(readElf(elf(0x3e, [{ type: 6 }, { type: 3, data: '/lib64/ld-linux-x86-64.so.2\0' }, { type: 1 }]))).toEqual({
      machine: 'x86_64',
      interpreter: '/lib64/ld-linux-x86-64.so.2',
    });
    expect(readElf(elf(0xb7, [{ type: 1 }]))!.machine).toBe('aarch64');
  });

  it('answers undefined for something that is not ELF', () => {
    expect(readElf(Buffer.from('#!/bin/sh\necho hi\n'.padEnd(80)))).toBeUndefined();
  });
});
