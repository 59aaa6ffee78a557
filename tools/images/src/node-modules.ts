import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { FileTree } from './tree.ts';

/**
 * The third-party packages a program's bundle imports at run time, with everything they need,
 * copied from the workspace's installed node_modules (so exactly the versions package-lock.json
 * pins). Our own libraries are inlined in the bundle by tsup; theirs stay imports, so their
 * declared dependencies count as the program's.
 */

interface PackageJson {
  name?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  workspaces?: string[];
}

function readPackageJson(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** Workspace package name → its folder (apps/*, libs/*, tools/*, …). */
export function workspacePackages(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pattern of readPackageJson(root).workspaces ?? []) {
    const dirs = pattern.endsWith('/*')
      ? readdirSync(join(root, pattern.slice(0, -2)), { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => join(root, pattern.slice(0, -2), d.name))
      : [join(root, pattern)];
    for (const d of dirs) {
      if (!existsSync(join(d, 'package.json'))) continue;
      const name = readPackageJson(d).name;
      if (name) out.set(name, d);
    }
  }
  return out;
}

/** Node's lookup: `<dir>/node_modules/<name>`, then each parent's, up to `root`. */
function resolvePackage(name: string, fromDir: string, root: string): string | undefined {
  let dir = fromDir;
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root) return undefined;
    const parent = dirname(dir);
    if (parent === dir || !`${parent}${sep}`.startsWith(`${root}${sep}`)) return undefined;
    dir = parent;
  }
}

export interface ResolvedPackage {
  name: string;
  /** Where it is installed in the workspace. */
  dir: string;
  /** Where it goes under the image's node_modules (`@kubernetes/client-node`, `a/node_modules/b`). */
  imagePath: string;
}

/**
 * The run-time package closure of workspace package `programDir`. Each installed package keeps
 * its position relative to the node_modules folder it was found in, so Node resolves exactly
 * what it resolves in the workspace.
 */
export function runtimeClosure(workspaceRoot: string, programDir: string): ResolvedPackage[] {
  const root = realpathSync(workspaceRoot);
  const workspace = workspacePackages(root);
  const roots: { name: string; from: string }[] = [];
  const seenWorkspace = new Set<string>();
  const walkWorkspace = (dir: string) => {
    if (seenWorkspace.has(dir)) return;
    seenWorkspace.add(dir);
    const pkg = readPackageJson(dir);
    for (const name of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      const ws = workspace.get(name);
      if (ws) walkWorkspace(ws);
      else roots.push({ name, from: dir });
    }
  };
  walkWorkspace(realpathSync(programDir));

  const out = new Map<string, ResolvedPackage>();
  const queue = roots.map((r) => ({ ...r, optional: false, by: relative(root, r.from) || '.' }));
  while (queue.length > 0) {
    const { name, from, optional, by } = queue.shift()!;
    const found = resolvePackage(name, from, root);
    if (!found) {
      if (optional) continue;
      throw new Error(`${by} needs the npm package ${name}, which is not installed: run \`npm ci\``);
    }
    const dir = realpathSync(found);
    if (dir !== found) throw new Error(`${name} at ${found} is a link to ${dir} (a workspace package?): only installed packages go in an image`);
    const imagePath = imagePathOf(root, found);
    const existing = out.get(imagePath);
    if (existing) {
      if (existing.dir !== dir) throw new Error(`two different packages would go to node_modules/${imagePath}: ${existing.dir} and ${dir}`);
      continue;
    }
    out.set(imagePath, { name, dir, imagePath });
    const pkg = readPackageJson(dir);
    const add = (deps: Record<string, string> | undefined, isOptional: (n: string) => boolean) => {
      for (const dep of Object.keys(deps ?? {})) queue.push({ name: dep, from: dir, optional: isOptional(dep), by: name });
    };
    add(pkg.dependencies, () => false);
    add(pkg.optionalDependencies, () => true);
    // Peers are the installer's business; take those that are installed.
    add(pkg.peerDependencies, () => true);
  }
  return [...out.values()].sort((a, b) => (a.imagePath < b.imagePath ? -1 : 1));
}

/**
 * `<root>/node_modules/a/node_modules/b` → `a/node_modules/b`; a package installed under a
 * workspace folder (`apps/x/node_modules/c`) goes to the top (`c`), where the bundle finds it.
 */
function imagePathOf(root: string, installed: string): string {
  const rel = relative(root, installed).split(sep).join('/');
  const first = rel.indexOf('node_modules/');
  return rel.slice(first + 'node_modules/'.length);
}

/** Files a package ships that Node never loads at run time: types, sources, source maps, docs. */
export function unusedAtRuntime(file: string): boolean {
  return /\.(d\.[mc]?ts|[mc]?ts|map|md|markdown)$/i.test(file) && !/^licen[cs]e/i.test(file.split('/').pop()!);
}

/** Top-level folders of a package that hold its tests, examples or docs, not its code. */
const NON_RUNTIME_DIRS = new Set(['test', 'tests', '__tests__', 'example', 'examples', 'docs', 'benchmark', 'benchmarks', '.github']);

/**
 * Folders of a package the image leaves out: its tests, examples and docs (unless its
 * package.json points into one), and prebuilt native addons for other platforms
 * (`prebuilds/<platform>-<arch>`, the prebuildify layout) than linux-x64.
 */
export function skippedDir(relPath: string, pointedAt: ReadonlySet<string>): boolean {
  const parts = relPath.split('/');
  if (parts.length === 1 && NON_RUNTIME_DIRS.has(parts[0]!) && !pointedAt.has(parts[0]!)) return true;
  if (parts.length === 2 && parts[0] === 'prebuilds' && !/^linux-x64(\b|$)/.test(parts[1]!)) return true;
  return false;
}

/** The top-level folders a package.json's entry points (main, exports, bin, …) lead into. */
function entryDirs(dir: string): Set<string> {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  const out = new Set<string>();
  const visit = (v: unknown) => {
    if (typeof v === 'string') {
      const first = v.replace(/^\.\//, '').split('/')[0];
      if (first && v.replace(/^\.\//, '').includes('/')) out.add(first);
    } else if (v && typeof v === 'object') for (const x of Object.values(v)) visit(x);
  };
  for (const k of ['main', 'module', 'exports', 'imports', 'bin', 'browser']) visit(pkg[k]);
  return out;
}

/** The closure as a tree under `prefix` (e.g. `app/node_modules`), owned by root, read-only. */
export function nodeModulesTree(packages: ResolvedPackage[], prefix: string): FileTree {
  const tree = new FileTree();
  for (const p of packages) {
    const base = `${prefix}/${p.imagePath}`;
    tree.dir(base);
    const pointedAt = entryDirs(p.dir);
    const walk = (dir: string, rel: string) => {
      for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const relPath = rel ? `${rel}/${d.name}` : d.name;
        const full = join(dir, d.name);
        if (d.name === 'node_modules' && rel === '') continue; // nested packages come in on their own
        if (d.isSymbolicLink()) {
          const target = readlinkSync(full);
          if (target.startsWith('/')) throw new Error(`${p.name}: ${relPath} is an absolute symlink (${target})`);
          tree.symlink(`${base}/${relPath}`, target);
        } else if (d.isDirectory()) {
          if (!skippedDir(relPath, pointedAt)) walk(full, relPath);
        } else if (d.isFile()) {
          if (unusedAtRuntime(relPath)) continue;
          const executable = (statSync(full).mode & 0o111) !== 0;
          tree.file(`${base}/${relPath}`, readFileSync(full), { mode: executable ? 0o755 : 0o644 });
        }
      }
    };
    walk(p.dir, '');
  }
  return tree;
}
