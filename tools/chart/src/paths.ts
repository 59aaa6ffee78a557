import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const UMBRELLA_DIR = join(REPO_ROOT, 'deploy', 'charts', 'agent-sandbox');
export const UMBRELLA = 'agent-sandbox';
export const LIBRARY = 'agent-sandbox-lib';
export const CRDS_CHART = 'crds';

/** A subchart's folder inside the umbrella. */
export function subchartDir(name: string): string {
  return join(UMBRELLA_DIR, 'charts', name);
}

/** The project's version (root package.json): the charts' version and appVersion, and the images' tag. */
export function projectVersion(): string {
  return (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}
