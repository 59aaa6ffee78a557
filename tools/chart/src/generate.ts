/**
 * Writes the chart's generated files (see render/chart-files.ts). `--check`: writes nothing and
 * exits 1 naming every stale file.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from './paths.ts';
import { generatedFiles, generatedLinks } from './render/chart-files.ts';

function linksTo(path: string, target: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink() && readlinkSync(path) === target;
  } catch {
    return false;
  }
}

/** Generated paths whose checked-in content (or link) differs from what the sources give now. */
export function staleGenerated(): string[] {
  const stale: string[] = [];
  for (const f of generatedFiles()) {
    const path = join(REPO_ROOT, f.path);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== f.content) stale.push(f.path);
  }
  for (const l of generatedLinks()) {
    const path = join(REPO_ROOT, l.path);
    if (!linksTo(path, l.target)) stale.push(l.path);
  }
  return stale;
}

function write(): void {
  for (const f of generatedFiles()) {
    const path = join(REPO_ROOT, f.path);
    mkdirSync(dirname(path), { recursive: true });
    const before = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (before !== f.content) {
      writeFileSync(path, f.content);
      console.log(`wrote ${f.path}`);
    }
  }
  for (const l of generatedLinks()) {
    const path = join(REPO_ROOT, l.path);
    mkdirSync(dirname(path), { recursive: true });
    rmSync(path, { recursive: true, force: true });
    symlinkSync(l.target, path);
  }
}

if (import.meta.main) {
  if (process.argv.includes('--check')) {
    const stale = staleGenerated();
    if (stale.length > 0) {
      console.error(`stale (run npm run chart:generate):\n  ${stale.join('\n  ')}`);
      process.exit(1);
    }
  } else write();
}
