/** Just enough ELF reading to tell a static executable from one that needs a dynamic loader. */

export interface ElfInfo {
  /** 'x86_64', 'aarch64', or the raw e_machine number. */
  machine: string;
  /** The program interpreter (dynamic loader) path, when the executable needs one. */
  interpreter?: string;
}

const MACHINES: Record<number, string> = { 0x3e: 'x86_64', 0xb7: 'aarch64' };
const PT_INTERP = 3;

export function readElf(data: Buffer): ElfInfo | undefined {
  if (data.length < 64 || data.readUInt32BE(0) !== 0x7f454c46) return undefined;
  if (data[4] !== 2 || data[5] !== 1) throw new Error('only 64-bit little-endian ELF files are supported');
  const machineCode = data.readUInt16LE(0x12);
  const phoff = Number(data.readBigUInt64LE(0x20));
  const phentsize = data.readUInt16LE(0x36);
  const phnum = data.readUInt16LE(0x38);
  const info: ElfInfo = { machine: MACHINES[machineCode] ?? String(machineCode) };
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (data.readUInt32LE(ph) !== PT_INTERP) continue;
    const offset = Number(data.readBigUInt64LE(ph + 8));
    const size = Number(data.readBigUInt64LE(ph + 32));
    info.interpreter = data.toString('utf8', offset, offset + size).replace(/\0+$/, '');
  }
  return info;
}
