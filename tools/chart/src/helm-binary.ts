/**
 * The helm CLI, pinned in go/helm/go.mod and built from the Go module proxy into the cache,
 * like the control plane: `<cache>/helm/helm-<version>_<digest of go.mod+go.sum>/bin/helm`.
 * A second call is a no-op; a change of pin makes a new entry.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCacheEntry, cacheEntryComplete, cacheRoot, GO_BUILD_ENV, moduleDigest, runLogged } from '@agent-sandbox/cache';

export const HELM_MODULE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'go', 'helm');

export interface HelmBinary {
  /** The pinned helm.sh/helm/v4 version, e.g. `v4.3.2`. */
  version: string;
  dir: string;
  /** Path of the helm executable. */
  helm: string;
}

/** Where the pinned helm lives in the cache (built or not). */
export function helmLocation(env: NodeJS.ProcessEnv = process.env): HelmBinary {
  const files = ['go.mod', 'go.sum'].map((f) => join(HELM_MODULE_DIR, f));
  const match = /^\s*require\s+helm\.sh\/helm\/v4\s+(v\S+)/m.exec(readFileSync(files[0]!, 'utf8'));
  if (!match) throw new Error(`${files[0]} does not require helm.sh/helm/v4`);
  const version = match[1]!;
  const dir = join(cacheRoot(env), 'helm', `helm-${version}_${moduleDigest(files)}`);
  return { version, dir, helm: join(dir, 'bin', 'helm') };
}

export function helmBuilt(env: NodeJS.ProcessEnv = process.env): HelmBinary | undefined {
  const h = helmLocation(env);
  return cacheEntryComplete(h.dir) ? h : undefined;
}

/** Builds the pinned helm into the cache unless it is there (about 2 minutes on 2 cores the first time). */
export async function ensureHelm(progress: (line: string) => void = () => {}): Promise<HelmBinary> {
  const built = helmBuilt();
  if (built) return built;
  const target = helmLocation();
  const started = Date.now();
  await buildCacheEntry(target.dir, async (tmp, logFile) => {
    await mkdir(join(tmp, 'bin'), { recursive: true });
    progress(`building helm ${target.version} (first run: a few minutes; log: ${logFile})`);
    // The version Helm reports (and the lint rules' Kubernetes version) come from these.
    const ldflags = [
      '-s -w',
      `-X helm.sh/helm/v4/internal/version.version=${target.version}`,
      '-X helm.sh/helm/v4/internal/version.gitTreeState=clean',
    ].join(' ');
    await runLogged(
      'go',
      ['build', '-trimpath', '-ldflags', ldflags, '-o', join(tmp, 'bin') + '/', 'helm.sh/helm/v4/cmd/helm'],
      HELM_MODULE_DIR,
      logFile,
      { ...process.env, ...GO_BUILD_ENV },
    );
  });
  progress(`helm ${target.version} ready in ${((Date.now() - started) / 1000).toFixed(0)} s: ${target.helm}`);
  return target;
}
