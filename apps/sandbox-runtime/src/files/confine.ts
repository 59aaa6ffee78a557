import { lstat, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, resolve, sep } from 'node:path';

/** A path outside the base directory, or one no file can have: answered with 403. */
export class AccessDenied extends Error {
  override name = 'AccessDenied';
}

/** A path segment of the URL that is not valid percent-encoding: answered with 400. */
export class BadPath extends Error {
  override name = 'BadPath';
}

/** Decodes the raw path of a URL once (`%2F` is a slash, `%252F` is the three characters `%2F`). */
export function decodeUrlPath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new BadPath(`path "${raw}" is not valid percent-encoding`);
  }
}

/** Whether `path` is `base` or lies under it (both absolute and normalized). */
export function isWithin(base: string, path: string): boolean {
  return path === base || path.startsWith(base.endsWith(sep) ? base : base + sep);
}

/**
 * Where `given` lies under `base` by its text alone: `..` segments and absolute paths that leave
 * the base, and NUL bytes (no file name holds one), are refused. An absolute path inside the base
 * is accepted, as joining it to the base would give it.
 */
export function lexicalTarget(base: string, given: string): string {
  if (given.includes('\0')) throw new AccessDenied('path holds a NUL byte');
  const target = isAbsolute(given) ? resolve(given) : resolve(base, given);
  if (!isWithin(base, target)) throw new AccessDenied(`path "${given}" is outside the base directory`);
  return target;
}

/**
 * `target` with every symbolic link in its existing part resolved. What does not exist yet
 * cannot be a link, so the existing prefix decides where a new file would land; a dangling link
 * is followed by its text, as a write through it would be.
 */
async function realTarget(realBase: string, target: string, given: string): Promise<string> {
  let path = target;
  for (let hops = 0; hops < 40; hops++) {
    let probe = path;
    for (;;) {
      try {
        return resolve(await realpath(probe), path.slice(probe.length).replace(/^\//, ''));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // What cannot be resolved cannot be shown to stay inside.
        if (code === 'EACCES' || code === 'EPERM' || code === 'ELOOP') throw new AccessDenied(`path "${given}" cannot be resolved (${code})`);
        if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
        const link = await readLink(probe);
        if (link !== undefined) {
          const pointsTo = resolve(dirname(probe), link);
          if (!isWithin(realBase, pointsTo)) throw new AccessDenied(`path "${given}" leads outside the base directory`);
          path = pointsTo + path.slice(probe.length);
          break;
        }
        const parent = dirname(probe);
        if (parent === probe) return path;
        probe = parent;
      }
    }
  }
  throw new AccessDenied(`path "${given}": too many levels of symbolic links`);
}

async function readLink(path: string): Promise<string | undefined> {
  try {
    return (await lstat(path)).isSymbolicLink() ? await readlink(path) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Confines a client's path to the base directory (`realBase` is the base with its own links
 * resolved): refused by its text (`..`, absolute elsewhere, NUL) or by where its existing part
 * really is (links out of the base). Returns the path to operate on, inside the base.
 */
export async function confine(realBase: string, given: string): Promise<string> {
  const target = lexicalTarget(realBase, given);
  const real = await realTarget(realBase, target, given);
  if (!isWithin(realBase, real)) throw new AccessDenied(`path "${given}" leads outside the base directory`);
  return real;
}
