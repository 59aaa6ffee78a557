import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { link, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';

const gzipAsync = promisify(gzipCallback);

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * Gzip with a fixed header: zlib's own header has no file name and mtime 0, so the same bytes
 * in give the same bytes out (for one zlib, which the pinned Node brings along).
 */
export async function gzip(data: Buffer): Promise<Buffer> {
  const out = await gzipAsync(data, { level: 6 });
  // Bytes 4..7 are the mtime and byte 9 the OS: check rather than trust.
  if (out.readUInt32LE(4) !== 0) throw new Error('gzip: header carries an mtime');
  return out;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/**
 * A content-addressed store of blobs (`blobs/sha256/<hex>`), the shape of an OCI image layout's
 * blob folder. Writes go through a temporary file and a rename, so a reader never sees half a
 * blob and concurrent writers of the same blob do no harm.
 */
export class BlobStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  path(digest: string): string {
    const [algorithm, hex] = digest.split(':');
    if (algorithm !== 'sha256' || !/^[0-9a-f]{64}$/.test(hex ?? '')) throw new Error(`not a sha256 digest: ${digest}`);
    return join(this.dir, 'sha256', hex!);
  }

  has(digest: string): boolean {
    return existsSync(this.path(digest));
  }

  async put(data: Buffer, mediaType: string): Promise<Descriptor> {
    const digest = sha256(data);
    const target = this.path(digest);
    if (!existsSync(target)) await writeAtomic(target, data);
    return { mediaType, digest, size: data.length };
  }

  async get(digest: string): Promise<Buffer> {
    const data = await readFile(this.path(digest));
    if (sha256(data) !== digest) throw new Error(`blob ${digest} in ${this.dir} is corrupt`);
    return data;
  }

  async size(digest: string): Promise<number> {
    return (await stat(this.path(digest))).size;
  }

  /** Makes `digest` available in `other` (hard link when possible, else a copy). */
  async copyTo(other: BlobStore, digest: string): Promise<void> {
    const target = other.path(digest);
    if (existsSync(target)) return;
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      await link(this.path(digest), tmp);
    } catch {
      await writeFile(tmp, await readFile(this.path(digest)));
    }
    await rename(tmp, target);
  }
}

export async function writeAtomic(target: string, data: Buffer | string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
