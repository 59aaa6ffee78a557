import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundaryOf, MultipartError, readMultipart, type PartInfo } from './multipart.ts';

async function parse(body: Buffer, boundary: string, cuts: number[] = []): Promise<Array<{ info: PartInfo; data: Buffer }>> {
  const pieces: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    pieces.push(body.subarray(at, cut));
    at = cut;
  }
  pieces.push(body.subarray(at));
  const parts: Array<{ info: PartInfo; data: Buffer }> = [];
  await readMultipart(
    (async function* () {
      yield* pieces;
    })(),
    boundary,
    async (info) => {
      const chunks: Buffer[] = [];
      parts.push({ info, data: Buffer.alloc(0) });
      const index = parts.length - 1;
      return {
        write: async (c) => void chunks.push(Buffer.from(c)),
        end: async () => void (parts[index]!.data = Buffer.concat(chunks)),
      };
    },
  );
  return parts;
}

function body(boundary: string, parts: Array<{ disposition: string; data: Buffer }>): Buffer {
  const out: Buffer[] = [Buffer.from('preamble to ignore\r\n')];
  for (const p of parts) out.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${p.disposition}\r\nContent-Type: application/octet-stream\r\n\r\n`), p.data, Buffer.from('\r\n'));
  out.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(out);
}

describe('readMultipart', () => {
  it('reads fields and files whatever the chunking', async () => {
    const boundary = 'XyZ123';
    // Data that holds near-misses of the delimiter.
    const file = Buffer.concat([randomBytes(3000), Buffer.from(`\r\n--XyZ12\r\nx--XyZ123`), randomBytes(100)]);
    const raw = body(boundary, [
      { disposition: 'form-data; name="note"', data: Buffer.from('hello') },
      { disposition: 'form-data; name="file"; filename="dir/na\\"me.bin"', data: file },
    ]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: raw.length - 1 }), { maxLength: 8 }), async (cuts) => {
        const parts = await parse(raw, boundary, cuts);
        expect(parts.map((p) => [p.info.name, p.info.filename])).toEqual([
          ['note', undefined],
          ['file', 'dir/na"me.bin'],
        ]);
        expect(parts[0]!.data.toString()).toBe('hello');
        expect(parts[1]!.data.equals(file)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('takes an RFC 5987 filename*', async () => {
    const raw = body('b', [{ disposition: `form-data; name="file"; filename="x"; filename*=UTF-8''na%C3%AFve%20f.txt`, data: Buffer.from('1') }]);
    expect((await parse(raw, 'b'))[0]!.info.filename).toBe('naïve f.txt');
  });

  it('refuses a body cut before its closing delimiter', async () => {
    const raw = body('b', [{ disposition: 'form-data; name="file"; filename="f"', data: Buffer.from('0123456789') }]);
    await expect(parse(raw.subarray(0, raw.length - 12), 'b')).rejects.toThrow(MultipartError);
    await expect(parse(Buffer.from('no boundary at all'), 'b')).rejects.toThrow(MultipartError);
  });

  it('finds the boundary of a Content-Type', () => {
    expect(boundaryOf('multipart/form-data; boundary=abc')).toBe('abc');
    expect(boundaryOf('multipart/form-data; boundary="a b"')).toBe('a b');
    expect(boundaryOf('application/json')).toBeUndefined();
    expect(boundaryOf('multipart/form-data')).toBeUndefined();
  });
});
