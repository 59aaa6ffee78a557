import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { paxRecord, readTar, writeTar, type TarEntry } from './tar.ts';

const file = (path: string, data: string, extra: Partial<TarEntry> = {}): TarEntry => ({
  type: 'file',
  path,
  mode: 0o644,
  uid: 0,
  gid: 0,
  mtime: 0,
  data: Buffer.from(data),
  ...extra,
});

describe('tar', () => {
  it('reads back what it writes: files, directories, links, long and non-ASCII names', () => {
    const long = `usr/share/${'d'.repeat(90)}/${'f'.repeat(60)}.js`;
    const entries: TarEntry[] = [
      { type: 'dir', path: 'usr', mode: 0o755, uid: 0, gid: 0, mtime: 0 },
      file('usr/bin/node', 'x'.repeat(1000), { mode: 0o755 }),
      { type: 'symlink', path: 'lib64/ld.so', mode: 0o777, uid: 0, gid: 0, mtime: 0, linkname: `../${'l'.repeat(120)}` },
      { type: 'hardlink', path: 'usr/bin/nodejs', mode: 0o755, uid: 0, gid: 0, mtime: 0, linkname: 'usr/bin/node' },
      file(long, 'long'),
      file('usr/share/ca/NetLock_Arany_=Class_Gold=_Főtanúsítvány.crt', 'cert'),
      file('home/nonroot/.keep', '', { uid: 65532, gid: 65532, mode: 0o600 }),
      { type: 'dir', path: 'tmp', mode: 0o1777, uid: 0, gid: 0, mtime: 0 },
    ];
    const back = readTar(writeTar(entries));
    expect(back).toEqual(entries.map((e) => (e.type === 'file' ? e : { ...e, data: undefined })).map(stripUndefined));
  });

  it('writes the same bytes for the same entries, with the given mtime and no owner names', () => {
    const entries = [file('a', 'one', { mtime: 1700000000 }), file('b', 'two', { mtime: 1700000000 })];
    const one = writeTar(entries);
    expect(writeTar(entries).equals(one)).toBe(true);
    const [header] = [one.subarray(0, 512)];
    expect(header.toString('ascii', 136, 147)).toBe((1700000000).toString(8).padStart(11, '0'));
    expect(header.subarray(265, 329).every((b) => b === 0)).toBe(true); // uname, gname
    expect(one.length % 512).toBe(0);
    expect(one.subarray(one.length - 1024).every((b) => b === 0)).toBe(true);
  });

  it('refuses a header whose checksum does not match', () => {
    const t = writeTar([file('a', 'one')]);
    t[0] = 'b'.charCodeAt(0);
    expect(() => readTar(t)).toThrow(/bad header checksum/);
  });

  it('PAX records count their own length', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 0, maxLength: 400 }), (value) => {
        const rec = paxRecord('path', value);
        const declared = Number(rec.slice(0, rec.indexOf(' ')));
        expect(declared).toBe(Buffer.byteLength(rec));
      }),
    );
    // Around the digit boundaries, where a naive count is off by one.
    for (const n of [88, 89, 90, 91, 92, 93, 94, 95, 96, 995, 996, 997]) {
      const rec = paxRecord('path', 'x'.repeat(n));
      expect(Number(rec.slice(0, rec.indexOf(' ')))).toBe(Buffer.byteLength(rec));
    }
  });

  it('refuses values that do not fit a field', () => {
    expect(() => writeTar([file('a', '', { uid: 8 ** 7 })])).toThrow(/uid/);
    expect(() => writeTar([file('a', '', { mtime: -1 })])).toThrow(/mtime/);
  });
});

function stripUndefined(e: TarEntry): TarEntry {
  return Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as unknown as TarEntry;
}
