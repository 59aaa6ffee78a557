import { posix } from 'node:path';
import { writeTar, type TarEntry } from './tar.ts';

/**
 * The content of one layer as a file tree: paths → entries with explicit owner and mode.
 * Nothing about the host (owners, times, umask, directory order) reaches it, and it turns into
 * the same tar bytes every time: entries sorted by path, every parent directory present, one
 * mtime for all.
 */

export interface Owner {
  uid: number;
  gid: number;
}

export interface FileOptions extends Partial<Owner> {
  mode?: number;
}

export type TreeEntry =
  | { type: 'file'; mode: number; uid: number; gid: number; data: Buffer }
  | { type: 'dir'; mode: number; uid: number; gid: number }
  | { type: 'symlink'; uid: number; gid: number; target: string }
  | { type: 'hardlink'; uid: number; gid: number; mode: number; target: string };

/** `/usr//bin/./node` → `usr/bin/node`; refuses `..`, the root itself and empty names. */
export function normalizeImagePath(p: string): string {
  if (p.includes('\0')) throw new Error(`image path ${JSON.stringify(p)} contains a NUL byte`);
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.includes('..')) throw new Error(`image path ${JSON.stringify(p)} must not contain '..'`);
  if (parts.length === 0) throw new Error(`image path ${JSON.stringify(p)} names the root directory`);
  return parts.join('/');
}

/**
 * Where a symlink at `path` with `target` points, as an image path; undefined when it would
 * leave the image root (for a relative target that climbs above `/`).
 */
export function resolveLinkTarget(path: string, target: string): string | undefined {
  // Walk the parts rather than trust posix.normalize, which clamps `/..` to `/` silently.
  const parts = target.startsWith('/') ? [] : posix.dirname(`/${path}`).split('/').filter(Boolean);
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') parts.push(part);
    else if (parts.pop() === undefined) return undefined;
  }
  return parts.join('/');
}

/** A relative link target equivalent to an absolute one, seen from the link's directory. */
export function relativeLinkTarget(path: string, absoluteTarget: string): string {
  const rel = posix.relative(posix.dirname(`/${path}`), posix.normalize(absoluteTarget));
  return rel === '' ? '.' : rel;
}

export class FileTree {
  readonly #entries = new Map<string, TreeEntry>();

  get size(): number {
    return this.#entries.size;
  }

  get(path: string): TreeEntry | undefined {
    return this.#entries.get(normalizeImagePath(path));
  }

  has(path: string): boolean {
    return this.#entries.has(normalizeImagePath(path));
  }

  paths(): string[] {
    return [...this.#entries.keys()].sort(comparePaths);
  }

  entries(): [string, TreeEntry][] {
    return this.paths().map((p) => [p, this.#entries.get(p)!]);
  }

  /** Adds or replaces a regular file. Mode defaults to 0644, owner to root. */
  file(path: string, data: Buffer | string, opts: FileOptions = {}): this {
    const p = normalizeImagePath(path);
    this.#parents(p);
    this.#put(p, {
      type: 'file',
      mode: opts.mode ?? 0o644,
      uid: opts.uid ?? 0,
      gid: opts.gid ?? 0,
      data: typeof data === 'string' ? Buffer.from(data, 'utf8') : data,
    });
    return this;
  }

  /** Adds a directory (and its parents) or sets the mode and owner of an existing one. */
  dir(path: string, opts: FileOptions = {}): this {
    const p = normalizeImagePath(path);
    this.#parents(p);
    this.#put(p, { type: 'dir', mode: opts.mode ?? 0o755, uid: opts.uid ?? 0, gid: opts.gid ?? 0 });
    return this;
  }

  /**
   * Adds a symlink. An absolute target is rewritten relative to the link's directory (same
   * meaning inside the image, and no escape when the tree is unpacked anywhere else); a target
   * that climbs above the root is refused.
   */
  symlink(path: string, target: string, owner: Partial<Owner> = {}): this {
    const p = normalizeImagePath(path);
    if (target === '') throw new Error(`symlink ${p}: empty target`);
    if (resolveLinkTarget(p, target) === undefined) throw new Error(`symlink ${p} → ${target} points outside the image root`);
    const t = target.startsWith('/') ? relativeLinkTarget(p, target) : target;
    this.#parents(p);
    this.#put(p, { type: 'symlink', uid: owner.uid ?? 0, gid: owner.gid ?? 0, target: t });
    return this;
  }

  /** A hard link to a file already in the tree. */
  hardlink(path: string, target: string, opts: FileOptions = {}): this {
    const p = normalizeImagePath(path);
    const t = normalizeImagePath(target);
    const existing = this.#entries.get(t);
    if (existing?.type !== 'file') throw new Error(`hard link ${p} → ${t}: the target is not a regular file in this tree`);
    this.#parents(p);
    this.#put(p, { type: 'hardlink', uid: opts.uid ?? existing.uid, gid: opts.gid ?? existing.gid, mode: opts.mode ?? existing.mode, target: t });
    return this;
  }

  remove(path: string): this {
    const p = normalizeImagePath(path);
    for (const key of [...this.#entries.keys()]) if (key === p || key.startsWith(`${p}/`)) this.#entries.delete(key);
    return this;
  }

  /**
   * Copies every entry of `other` into this tree. Directories merge; two different files (or
   * links) at one path are an error naming both sources, unless `overwrite` is set.
   */
  merge(other: FileTree, opts: { overwrite?: boolean; what?: string } = {}): this {
    for (const [p, e] of other.entries()) {
      const mine = this.#entries.get(p);
      if (mine && !opts.overwrite && !(mine.type === 'dir' && e.type === 'dir') && !sameEntry(mine, e)) {
        throw new Error(`${opts.what ?? 'merge'}: ${p} is already in the image with different content`);
      }
      if (mine?.type === 'dir' && e.type === 'dir' && !opts.overwrite) continue;
      this.#entries.set(p, e);
    }
    return this;
  }

  /** The tree as tar entries in canonical order, all with `mtime`. */
  tarEntries(mtime: number): TarEntry[] {
    return this.entries().map(([path, e]): TarEntry => {
      switch (e.type) {
        case 'file':
          return { type: 'file', path, mode: e.mode, uid: e.uid, gid: e.gid, mtime, data: e.data };
        case 'dir':
          return { type: 'dir', path, mode: e.mode, uid: e.uid, gid: e.gid, mtime };
        case 'symlink':
          return { type: 'symlink', path, mode: 0o777, uid: e.uid, gid: e.gid, mtime, linkname: e.target };
        case 'hardlink':
          return { type: 'hardlink', path, mode: e.mode, uid: e.uid, gid: e.gid, mtime, linkname: e.target };
      }
    });
  }

  toTar(mtime: number): Buffer {
    return writeTar(this.tarEntries(mtime));
  }

  #put(p: string, e: TreeEntry): void {
    const existing = this.#entries.get(p);
    if (existing?.type === 'dir' && e.type !== 'dir' && [...this.#entries.keys()].some((k) => k.startsWith(`${p}/`))) {
      throw new Error(`${p} is a directory with content; it cannot become a ${e.type}`);
    }
    this.#entries.set(p, e);
  }

  #parents(p: string): void {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const e = this.#entries.get(parent);
      if (!e) this.#entries.set(parent, { type: 'dir', mode: 0o755, uid: 0, gid: 0 });
      else if (e.type !== 'dir') throw new Error(`${p}: its parent ${parent} is a ${e.type}, not a directory`);
    }
  }
}

function sameEntry(a: TreeEntry, b: TreeEntry): boolean {
  if (a.type !== b.type || a.uid !== b.uid || a.gid !== b.gid) return false;
  if (a.type === 'file' && b.type === 'file') return a.mode === b.mode && a.data.equals(b.data);
  if (a.type === 'symlink' && b.type === 'symlink') return a.target === b.target;
  if (a.type === 'hardlink' && b.type === 'hardlink') return a.target === b.target && a.mode === b.mode;
  return a.type === 'dir';
}

/** Byte order of the UTF-8 paths: parents always come before their children. */
export function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
