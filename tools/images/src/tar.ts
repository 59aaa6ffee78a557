/**
 * A small tar writer and reader, enough for image layers and Debian data archives.
 *
 * The writer emits POSIX ustar headers, with a PAX extended header only for a path or link
 * target that does not fit (or is not ASCII). It writes exactly what it is given: numeric
 * uid/gid, empty user and group names, the mtime passed in, no atime/ctime, no device numbers.
 * The reader understands ustar (with prefix), PAX (`x`, `g`) and GNU long names (`L`, `K`),
 * which is what dpkg-deb and the usual tar tools produce.
 */

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink';

export interface TarEntry {
  type: EntryType;
  /** Relative, slash-separated, no leading `./` or `/`; directories without a trailing slash. */
  path: string;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Target of a symlink or a hard link. */
  linkname?: string;
  /** Content of a regular file. */
  data?: Buffer;
}

const BLOCK = 512;
const TYPEFLAG: Record<EntryType, string> = { file: '0', hardlink: '1', symlink: '2', dir: '5' };

function octal(value: number, width: number, field: string): string {
  if (!Number.isInteger(value) || value < 0) throw new Error(`tar: ${field} must be a non-negative integer, got ${value}`);
  const digits = value.toString(8);
  if (digits.length > width - 1) throw new Error(`tar: ${field} ${value} does not fit in ${width - 1} octal digits`);
  return digits.padStart(width - 1, '0') + '\0';
}

function isPlainAscii(s: string): boolean {
  return /^[\x20-\x7e]*$/.test(s);
}

function header(fields: {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  typeflag: string;
  linkname: string;
}): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  h.write(fields.name, 0, 100, 'utf8');
  h.write(octal(fields.mode, 8, 'mode'), 100, 8, 'ascii');
  h.write(octal(fields.uid, 8, 'uid'), 108, 8, 'ascii');
  h.write(octal(fields.gid, 8, 'gid'), 116, 8, 'ascii');
  h.write(octal(fields.size, 12, 'size'), 124, 12, 'ascii');
  h.write(octal(fields.mtime, 12, 'mtime'), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii'); // checksum placeholder: eight spaces
  h.write(fields.typeflag, 156, 1, 'ascii');
  h.write(fields.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  // uname and gname stay empty: owners are numeric only.
  h.write(octal(0, 8, 'devmajor'), 329, 8, 'ascii');
  h.write(octal(0, 8, 'devminor'), 337, 8, 'ascii');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return h;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest, 0);
}

/** One PAX record: "<len> <key>=<value>\n", where <len> counts the whole record, itself included. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const n = Buffer.byteLength(body);
  let length = n + String(n).length;
  if (String(length).length > String(n).length) length = n + String(length).length;
  return `${length}${body}`;
}

/** The bytes of one entry: optional PAX header, ustar header, content, padding. */
export function entryBytes(entry: TarEntry): Buffer[] {
  const isDir = entry.type === 'dir';
  const name = isDir ? `${entry.path}/` : entry.path;
  const linkname = entry.linkname ?? '';
  const data = entry.type === 'file' ? (entry.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
  const pax: string[] = [];
  const nameFits = Buffer.byteLength(name) <= 100 && isPlainAscii(name);
  const linkFits = Buffer.byteLength(linkname) <= 100 && isPlainAscii(linkname);
  if (!nameFits) pax.push(paxRecord('path', name));
  if (!linkFits) pax.push(paxRecord('linkpath', linkname));
  const out: Buffer[] = [];
  if (pax.length > 0) {
    const body = Buffer.from(pax.join(''), 'utf8');
    out.push(
      header({ name: 'PaxHeader', mode: 0o644, uid: 0, gid: 0, size: body.length, mtime: entry.mtime, typeflag: 'x', linkname: '' }),
      body,
      padding(body.length),
    );
  }
  out.push(
    header({
      name: nameFits ? name : asciiPrefix(name, 100),
      mode: entry.mode & 0o7777,
      uid: entry.uid,
      gid: entry.gid,
      size: data.length,
      mtime: entry.mtime,
      typeflag: TYPEFLAG[entry.type],
      linkname: linkFits ? linkname : asciiPrefix(linkname, 100),
    }),
  );
  if (data.length > 0) out.push(data, padding(data.length));
  return out;
}

/** A best-effort ASCII stand-in for readers that ignore PAX (the PAX record is authoritative). */
function asciiPrefix(s: string, max: number): string {
  return s.replace(/[^\x20-\x7e]/g, '_').slice(0, max);
}

/** A whole archive: entries in the order given, then the two zero blocks that end it. */
export function writeTar(entries: Iterable<TarEntry>): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) parts.push(...entryBytes(e));
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}

function readString(buf: Buffer, offset: number, length: number): string {
  const end = buf.indexOf(0, offset);
  return buf.toString('utf8', offset, end === -1 || end > offset + length ? offset + length : end);
}

function readNumber(buf: Buffer, offset: number, length: number): number {
  if (buf[offset]! & 0x80) {
    // GNU base-256: big-endian, high bit set on the first byte.
    let value = buf[offset]! & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + buf[offset + i]!;
    return value;
  }
  const text = buf.toString('ascii', offset, offset + length).replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function parsePax(body: string): Map<string, string> {
  const out = new Map<string, string>();
  let rest = Buffer.from(body, 'utf8');
  while (rest.length > 0) {
    const space = rest.indexOf(0x20);
    if (space <= 0) break;
    const length = parseInt(rest.toString('ascii', 0, space), 10);
    if (!Number.isFinite(length) || length <= space) throw new Error('tar: malformed PAX record');
    const record = rest.toString('utf8', space + 1, length - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    rest = rest.subarray(length);
  }
  return out;
}

/** `./usr/bin/` → `usr/bin`; the archive root itself becomes ''. */
export function cleanArchivePath(p: string): string {
  let s = p.replace(/\/+$/, '');
  while (s.startsWith('./')) s = s.slice(2);
  s = s.replace(/^\/+/, '');
  return s === '.' ? '' : s;
}

/**
 * Reads an uncompressed tar archive. Character and block devices, FIFOs and the like are
 * refused: nothing we build from has any, and an image should not either.
 */
export function readTar(buf: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax = new Map<string, string>();
  while (offset + BLOCK <= buf.length) {
    const h = buf.subarray(offset, offset + BLOCK);
    if (h.every((b) => b === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    const stored = readNumber(h, 148, 8);
    if (sum !== stored) throw new Error(`tar: bad header checksum at offset ${offset}`);
    const size = readNumber(h, 124, 12);
    const typeflag = String.fromCharCode(h[156]!);
    const bodyStart = offset + BLOCK;
    const body = buf.subarray(bodyStart, bodyStart + size);
    offset = bodyStart + Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === 'x') {
      pax = parsePax(body.toString('utf8'));
      continue;
    }
    if (typeflag === 'g') continue;
    if (typeflag === 'L') {
      longName = body.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    if (typeflag === 'K') {
      longLink = body.toString('utf8').replace(/\0+$/, '');
      continue;
    }
    const magic = h.toString('ascii', 257, 262);
    const prefix = magic === 'ustar' ? readString(h, 345, 155) : '';
    let name = readString(h, 0, 100);
    if (prefix) name = `${prefix}/${name}`;
    name = pax.get('path') ?? longName ?? name;
    const linkname = pax.get('linkpath') ?? longLink ?? readString(h, 157, 100);
    const type: EntryType | undefined =
      typeflag === '0' || typeflag === '\0' || typeflag === '7'
        ? 'file'
        : typeflag === '1'
          ? 'hardlink'
          : typeflag === '2'
            ? 'symlink'
            : typeflag === '5'
              ? 'dir'
              : undefined;
    if (!type) throw new Error(`tar: entry ${name} has unsupported type '${typeflag}'`);
    const entry: TarEntry = {
      type: type === 'file' && name.endsWith('/') ? 'dir' : type,
      path: cleanArchivePath(name),
      mode: readNumber(h, 100, 8) & 0o7777,
      uid: pax.has('uid') ? Number(pax.get('uid')) : readNumber(h, 108, 8),
      gid: pax.has('gid') ? Number(pax.get('gid')) : readNumber(h, 116, 8),
      mtime: Math.floor(pax.has('mtime') ? Number(pax.get('mtime')) : readNumber(h, 136, 12)),
    };
    if (type === 'symlink' || type === 'hardlink') entry.linkname = type === 'hardlink' ? cleanArchivePath(linkname) : linkname;
    if (entry.type === 'file') entry.data = Buffer.from(body);
    entries.push(entry);
    pax = new Map();
    longName = undefined;
    longLink = undefined;
  }
  return entries;
}
