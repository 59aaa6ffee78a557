/**
 * Jaeger v2 and promtool, each pinned in its own Go module under go/ and built from the Go
 * module proxy into the cache like the control plane:
 * `<cache>/observability/<tool>-<version>_<digest of go.mod+go.sum>/bin/<tool>`. A second call
 * is a no-op; a change of pin makes a new entry.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCacheEntry, cacheEntryComplete, cacheRoot, GO_BUILD_ENV, moduleDigest, runLogged } from '@agent-sandbox/cache';

export const GO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'go');

interface GoTool {
  /** Folder under go/ holding the tool's go.mod, go.sum and tools.go. */
  module: string;
  /** The module whose version is the tool's. */
  pinned: string;
  /** The package built. */
  pkg: string;
  binary: string;
  ldflags: (version: string) => string[];
}

const JAEGER: GoTool = {
  module: 'jaeger',
  pinned: 'github.com/jaegertracing/jaeger',
  pkg: 'github.com/jaegertracing/jaeger/cmd/jaeger',
  binary: 'jaeger',
  ldflags: (v) => [`-X github.com/jaegertracing/jaeger/internal/version.latestVersion=${v}`],
};

const PROMTOOL: GoTool = {
  module: 'promtool',
  pinned: 'github.com/prometheus/prometheus',
  pkg: 'github.com/prometheus/prometheus/cmd/promtool',
  binary: 'promtool',
  ldflags: (v) => [`-X github.com/prometheus/common/version.Version=${v}`],
};

export interface ToolBinary {
  /** The pinned module version, e.g. `v1.76.0`. */
  version: string;
  dir: string;
  /** Path of the executable. */
  bin: string;
}

function location(tool: GoTool, env: NodeJS.ProcessEnv): ToolBinary {
  const files = ['go.mod', 'go.sum'].map((f) => join(GO_DIR, tool.module, f));
  const match = new RegExp(`^\\s*require\\s+${tool.pinned.replaceAll('.', '\\.')}\\s+(v\\S+)`, 'm').exec(readFileSync(files[0]!, 'utf8'));
  if (!match) throw new Error(`${files[0]} does not require ${tool.pinned}`);
  const version = match[1]!;
  const dir = join(cacheRoot(env), 'observability', `${tool.binary}-${version}_${moduleDigest(files)}`);
  return { version, dir, bin: join(dir, 'bin', tool.binary) };
}

async function ensure(tool: GoTool, progress: (line: string) => void): Promise<ToolBinary> {
  const target = location(tool, process.env);
  if (cacheEntryComplete(target.dir)) return target;
  const started = Date.now();
  await buildCacheEntry(target.dir, async (tmp, logFile) => {
    await mkdir(join(tmp, 'bin'), { recursive: true });
    progress(`building ${tool.binary} ${target.version} (first run: a few minutes; log: ${logFile})`);
    await runLogged(
      'go',
      ['build', '-trimpath', '-ldflags', ['-s -w', ...tool.ldflags(target.version)].join(' '), '-o', join(tmp, 'bin') + '/', tool.pkg],
      join(GO_DIR, tool.module),
      logFile,
      { ...process.env, ...GO_BUILD_ENV },
    );
  });
  progress(`${tool.binary} ${target.version} ready in ${((Date.now() - started) / 1000).toFixed(0)} s: ${target.bin}`);
  return target;
}

export const jaegerLocation = (env: NodeJS.ProcessEnv = process.env): ToolBinary => location(JAEGER, env);
export const promtoolLocation = (env: NodeJS.ProcessEnv = process.env): ToolBinary => location(PROMTOOL, env);

/** Builds the pinned Jaeger (cmd/jaeger, v2) into the cache unless it is there. */
export const ensureJaeger = (progress: (line: string) => void = () => {}): Promise<ToolBinary> => ensure(JAEGER, progress);

/** Builds the pinned promtool into the cache unless it is there. */
export const ensurePromtool = (progress: (line: string) => void = () => {}): Promise<ToolBinary> => ensure(PROMTOOL, progress);
