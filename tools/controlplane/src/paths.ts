import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot } from '@agent-sandbox/cache';

export { cacheRoot };

/** tools/controlplane, wherever the checkout is. */
export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const GO_MODULES_DIR = join(PACKAGE_DIR, 'go');

export function clustersDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'clusters');
}
