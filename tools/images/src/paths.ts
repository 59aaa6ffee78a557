import { cacheRoot } from '@agent-sandbox/cache';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** tools/images, wherever the checkout is. */
export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const WORKSPACE_ROOT = resolve(PACKAGE_DIR, '..', '..');
export const GO_MODULES_DIR = join(PACKAGE_DIR, 'go');
export const DEBIAN_LOCK_FILE = join(PACKAGE_DIR, 'debian.lock.json');

/** Everything this package builds or downloads: `<cache root>/images` (see tools/cache). */
export function imagesCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'images');
}

/** The workspace version (root package.json): the default tag of every image. */
export function workspaceVersion(): string {
  const pkg = JSON.parse(readFileSync(join(WORKSPACE_ROOT, 'package.json'), 'utf8')) as { version?: string };
  if (!pkg.version) throw new Error('package.json has no version');
  return pkg.version;
}

/** The default registry and repository prefix, as the Helm chart expects them. */
export const DEFAULT_REGISTRY = 'localhost:5001';
export const DEFAULT_REPOSITORY_PREFIX = 'agent-sandbox';

/**
 * The mtime of every file in every layer and the `created` time of every image: the standard
 * SOURCE_DATE_EPOCH when set, else 0 (1970-01-01T00:00:00Z).
 */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return 0;
  if (!/^\d+$/.test(raw)) throw new Error(`SOURCE_DATE_EPOCH must be a whole number of seconds, got ${JSON.stringify(raw)}`);
  return Number(raw);
}
