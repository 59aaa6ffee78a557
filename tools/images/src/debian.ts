import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { satisfies, type Relation } from './debversion.ts';
import { DEBIAN_LOCK_FILE, imagesCacheDir } from './paths.ts';
import { readTar } from './tar.ts';
import { FileTree, resolveLinkTarget } from './tree.ts';

const execFileAsync = promisify(execFile);

/**
 * Debian packages as image inputs, the way distroless assembles images from .debs: a checked-in
 * lock pins each package (name, version, architecture, sha256 of the .deb); builds fetch the
 * exact .deb through apt into the cache, check its sha256, and unpack its data archive into a
 * layer. No maintainer script runs, so no shell, apt or dpkg is needed in the image.
 */

export interface LockedPackage {
  name: string;
  version: string;
  architecture: string;
  /** sha256 of the .deb file, hex. */
  sha256: string;
  size: number;
  /** Path of the .deb in the archive's pool (`pool/main/g/glibc/libc6_…_amd64.deb`). */
  filename: string;
  source: string;
  /** Names of the locked packages this one needs at run time (its Depends/Pre-Depends as resolved). */
  depends: string[];
}

export interface DebianLock {
  comment: string;
  architecture: string;
  /** The package names asked for (every recipe's, together); the rest came in as dependencies. */
  requested: string[];
  /** Dependencies left out on purpose, with the reason. */
  excluded: Record<string, string>;
  packages: LockedPackage[];
}

export const LOCK_COMMAND = 'npm run images -- lock';

export async function readLock(file = DEBIAN_LOCK_FILE): Promise<DebianLock> {
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`${LOCK_COMMAND}\` to create it`);
  return JSON.parse(await readFile(file, 'utf8')) as DebianLock;
}

export function lockText(lock: DebianLock): string {
  return JSON.stringify(lock, null, 2) + '\n';
}

/**
 * The locked packages `names` need, dependencies included, in name order. Fails when a name is
 * not in the lock (the recipes asked for something new: the lock must be regenerated).
 */
export function closure(lock: DebianLock, names: readonly string[]): LockedPackage[] {
  const byName = new Map(lock.packages.map((p) => [p.name, p]));
  const out = new Map<string, LockedPackage>();
  const visit = (name: string, from?: string) => {
    if (out.has(name)) return;
    const p = byName.get(name);
    if (!p) {
      throw new Error(
        `Debian package ${name}${from ? ` (needed by ${from})` : ''} is not in ${DEBIAN_LOCK_FILE}: run \`${LOCK_COMMAND}\` and commit the lock file`,
      );
    }
    out.set(name, p);
    for (const d of p.depends) visit(d, name);
  };
  for (const n of names) visit(n);
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

// ---------------------------------------------------------------------------------------------
// Control files and dependency fields (pure)

export type Stanza = Map<string, string>;

/** Parses RFC 822-style control data (apt-cache show, dpkg-deb -f) into stanzas. */
export function parseControl(text: string): Stanza[] {
  const stanzas: Stanza[] = [];
  let current: Stanza = new Map();
  let lastKey: string | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (current.size > 0) stanzas.push(current);
      current = new Map();
      lastKey = undefined;
      continue;
    }
    if (/^[ \t]/.test(line)) {
      if (lastKey) current.set(lastKey, `${current.get(lastKey)}\n${line}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    lastKey = line.slice(0, colon);
    current.set(lastKey, line.slice(colon + 1).trim());
  }
  if (current.size > 0) stanzas.push(current);
  return stanzas;
}

export interface DependencyAlternative {
  name: string;
  relation?: Relation;
  version?: string;
  /** `:any`, `:native`, `:amd64` qualifier, if any. */
  archQualifier?: string;
}

/** `libc6 (>= 2.36), debconf (>= 0.5) | debconf-2.0` → groups of alternatives. */
export function parseDependsField(field: string): DependencyAlternative[][] {
  const out: DependencyAlternative[][] = [];
  for (const group of field.split(',')) {
    if (group.trim() === '') continue;
    out.push(
      group.split('|').map((alt) => {
        const m = /^\s*([a-z0-9][a-z0-9+.-]*)(?::([a-z0-9-]+))?\s*(?:\(\s*(<<|<=|=|>=|>>|<|>)\s*([^)\s]+)\s*\))?\s*(?:\[[^\]]*\])?\s*(?:<[^>]*>)?\s*$/.exec(alt);
        if (!m) throw new Error(`cannot parse dependency ${JSON.stringify(alt.trim())}`);
        const a: DependencyAlternative = { name: m[1]! };
        if (m[2]) a.archQualifier = m[2];
        if (m[3]) {
          // `<` and `>` are obsolete spellings of `<=` and `>=`.
          a.relation = (m[3] === '<' ? '<=' : m[3] === '>' ? '>=' : m[3]) as Relation;
          a.version = m[4]!;
        }
        return a;
      }),
    );
  }
  return out;
}

export interface CandidateInfo {
  name: string;
  version: string;
  architecture: string;
  sha256: string;
  size: number;
  filename: string;
  source: string;
  depends: DependencyAlternative[][];
}

/** A candidate package as apt-cache prints it. */
export function candidateFromStanza(s: Stanza): CandidateInfo {
  const need = (k: string) => {
    const v = s.get(k);
    if (!v) throw new Error(`apt-cache output for ${s.get('Package') ?? '?'} has no ${k} field`);
    return v;
  };
  const deps = [s.get('Pre-Depends'), s.get('Depends')].filter((x): x is string => !!x).join(', ');
  return {
    name: need('Package'),
    version: need('Version'),
    architecture: need('Architecture'),
    sha256: need('SHA256'),
    size: Number(need('Size')),
    filename: need('Filename'),
    source: (s.get('Source') ?? need('Package')).split(' ')[0]!,
    depends: parseDependsField(deps),
  };
}

/**
 * Resolves `requested` and their run-time dependencies to exact candidates. `lookup` answers
 * with the candidate of each name it knows (absent: no such real package, e.g. a virtual one).
 * A dependency group is satisfied by a package already chosen, else by its first alternative
 * that exists; a group any of whose alternatives is excluded is left out (the reason is in
 * `excluded`). Version constraints are checked against the chosen candidates.
 */
export async function resolve(
  requested: readonly string[],
  excluded: Record<string, string>,
  lookup: (names: string[]) => Promise<Map<string, CandidateInfo>>,
): Promise<LockedPackage[]> {
  const chosen = new Map<string, CandidateInfo>();
  const edges = new Map<string, Set<string>>();
  const pending: { name: string; from?: string }[] = requested.map((name) => ({ name }));
  const known = new Map<string, CandidateInfo | null>();
  const constraints: { from: string; alt: DependencyAlternative }[] = [];

  const fetchMissing = async (names: string[]) => {
    const missing = [...new Set(names.filter((n) => !known.has(n)))];
    if (missing.length === 0) return;
    const found = await lookup(missing);
    for (const n of missing) known.set(n, found.get(n) ?? null);
  };

  while (pending.length > 0) {
    const batch = pending.splice(0, pending.length).filter((p) => !chosen.has(p.name));
    await fetchMissing(batch.map((p) => p.name));
    const next: string[] = [];
    for (const { name, from } of batch) {
      if (chosen.has(name)) continue;
      if (name in excluded) throw new Error(`Debian package ${name} is both requested and excluded`);
      const info = known.get(name);
      if (!info) throw new Error(`no installable Debian package named ${name}${from ? ` (a dependency of ${from})` : ''}: is it virtual? name a real package that provides it`);
      chosen.set(name, info);
      edges.set(name, new Set());
      for (const group of info.depends) next.push(...group.map((a) => a.name));
    }
    await fetchMissing(next.filter((n) => !(n in excluded)));
    for (const { name } of batch) {
      const info = chosen.get(name)!;
      for (const group of info.depends) {
        if (group.some((a) => a.name in excluded)) continue;
        const already = group.find((a) => chosen.has(a.name) || requested.includes(a.name));
        const pick = already ?? group.find((a) => known.get(a.name));
        if (!pick) {
          throw new Error(`${name} needs ${group.map((a) => a.name).join(' | ')}, and none is a real package: add a provider to the recipe or exclude it with a reason`);
        }
        edges.get(name)!.add(pick.name);
        constraints.push({ from: name, alt: pick });
        if (!chosen.has(pick.name)) pending.push({ name: pick.name, from: name });
      }
    }
  }

  for (const { from, alt } of constraints) {
    const c = chosen.get(alt.name)!;
    if (alt.relation && alt.version && !satisfies(c.version, alt.relation, alt.version)) {
      throw new Error(`${from} needs ${alt.name} (${alt.relation} ${alt.version}) but the candidate is ${c.version}`);
    }
  }

  return [...chosen.values()]
    .map((c) => ({
      name: c.name,
      version: c.version,
      architecture: c.architecture,
      sha256: c.sha256,
      size: c.size,
      filename: c.filename,
      source: c.source,
      depends: [...edges.get(c.name)!].sort(),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

// ---------------------------------------------------------------------------------------------
// apt: candidates, downloads

/** apt-cache's candidates for `names` on `arch` (architecture-all packages included). */
export async function aptCandidates(names: string[], arch: string): Promise<Map<string, CandidateInfo>> {
  const out = new Map<string, CandidateInfo>();
  if (names.length === 0) return out;
  // One call per name: apt-cache show fails the whole call for one unknown name.
  await Promise.all(
    names.map(async (name) => {
      try {
        const { stdout } = await execFileAsync('apt-cache', ['show', '--no-all-versions', `${name}:${arch}`], { maxBuffer: 16 << 20 });
        const stanza = parseControl(stdout).find((s) => s.get('Package') === name);
        if (stanza) out.set(name, candidateFromStanza(stanza));
      } catch {
        // Unknown to apt (or only virtual): absent from the answer.
      }
    }),
  );
  return out;
}

/** Regenerates the lock from the package names the recipes ask for. */
export async function generateLock(requested: readonly string[], excluded: Record<string, string>, arch = 'amd64'): Promise<DebianLock> {
  const packages = await resolve(requested, excluded, (names) => aptCandidates(names, arch));
  return {
    comment: `Generated by \`${LOCK_COMMAND}\` from the Debian packages the image recipes ask for (tools/images/src/recipes.ts); do not edit by hand.`,
    architecture: arch,
    requested: [...requested].sort(),
    excluded: Object.fromEntries(Object.entries(excluded).sort(([a], [b]) => (a < b ? -1 : 1))),
    packages,
  };
}

function debFileName(p: LockedPackage): string {
  return `${p.name}_${p.version.replace(/:/g, '%3a')}_${p.architecture}.deb`;
}

async function fileSha256(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** The archive roots apt is configured with (`http://…/debian/`), for fetching pool files directly. */
async function aptRepositoryUris(): Promise<string[]> {
  try {
    const { stdout } = await execFileAsync('apt-get', ['indextargets', '--format', '$(REPO_URI)']);
    return [...new Set(stdout.split('\n').map((s) => s.trim()).filter(Boolean))];
  } catch {
    return [];
  }
}

/**
 * The .deb of a locked package, from the cache or fetched into it: first through apt (`apt-get
 * download name:arch=version`, which uses whatever mirror and proxy apt is set up with), then,
 * for a version the index no longer lists, straight from the pool of each configured archive.
 * Its sha256 must match the lock either way.
 */
export async function fetchDeb(p: LockedPackage, downloadsDir = join(imagesCacheDir(), 'debs')): Promise<string> {
  const target = join(downloadsDir, debFileName(p));
  if (existsSync(target) && (await fileSha256(target)) === p.sha256) return target;
  await mkdir(downloadsDir, { recursive: true });
  const work = await mkdtemp(join(downloadsDir, '.download-'));
  const tried: string[] = [];
  try {
    const apt = await run('apt-get', ['download', `${p.name}:${p.architecture}=${p.version}`], work);
    const got = (await readdir(work)).find((f) => f.endsWith('.deb'));
    if (apt.code === 0 && got) {
      await checkAndMove(join(work, got), target, p);
      return target;
    }
    tried.push(`apt-get download: ${apt.output.split('\n').filter((l) => l.startsWith('E:')).join(' ') || `exit ${apt.code}`}`);
    for (const base of await aptRepositoryUris()) {
      const url = new URL(p.filename.split('/').map(encodeURIComponent).join('/'), base.endsWith('/') ? base : `${base}/`);
      try {
        const res = await fetch(url);
        if (!res.ok) {
          tried.push(`${url.origin}${url.pathname}: HTTP ${res.status}`);
          continue;
        }
        const file = join(work, 'direct.deb');
        await writeFile(file, Buffer.from(await res.arrayBuffer()));
        await checkAndMove(file, target, p);
        return target;
      } catch (err) {
        if (err instanceof ShaMismatch) throw err;
        tried.push(`${url.origin}${url.pathname}: ${(err as Error).message}`);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  throw new Error(
    `Debian package ${p.name}=${p.version} (${p.architecture}), pinned in ${DEBIAN_LOCK_FILE}, is no longer served by the configured apt sources. ` +
      `Run \`apt-get update\` and try again; if it is still missing, Debian has replaced it: run \`${LOCK_COMMAND}\` to pin the current versions, ` +
      `rebuild, and commit the lock file. Tried: ${tried.join('; ')}`,
  );
}

class ShaMismatch extends Error {}

async function checkAndMove(file: string, target: string, p: LockedPackage): Promise<void> {
  const actual = await fileSha256(file);
  if (actual !== p.sha256) {
    throw new ShaMismatch(`${p.name}=${p.version}: the downloaded .deb has sha256 ${actual}, the lock pins ${p.sha256}; refusing it`);
  }
  await rename(file, target);
}

// ---------------------------------------------------------------------------------------------
// .deb → file tree

/** What a package ships that an image never needs. Copyright files stay (licences). */
export function droppedFromImage(path: string): boolean {
  if (/^usr\/share\/(man|info|lintian|linda|bug|menu)(\/|$)/.test(path)) return true;
  if (/^usr\/share\/doc\/[^/]+\/./.test(path) && !/^usr\/share\/doc\/[^/]+\/copyright$/.test(path)) return true;
  return false;
}

async function dataTar(deb: string): Promise<Buffer> {
  const { stdout } = await execFileAsync('dpkg-deb', ['--fsys-tarfile', deb], { encoding: 'buffer', maxBuffer: 1 << 30 });
  return stdout;
}

async function controlFields(deb: string): Promise<string> {
  const { stdout } = await execFileAsync('dpkg-deb', ['-f', deb], { maxBuffer: 1 << 20 });
  return stdout;
}

/**
 * The files of the given packages as one tree, owned by root, with the modes the packages give
 * (times are reset when the layer is written), plus a status file per package under
 * /var/lib/dpkg/status.d/ so image scanners can tell what is inside (as distroless does).
 * setuid/setgid files are refused: nothing we ship needs them.
 */
export async function debianTree(packages: LockedPackage[], opts: { downloadsDir?: string } = {}): Promise<FileTree> {
  const tree = new FileTree();
  const debs = await Promise.all(packages.map((p) => fetchDeb(p, opts.downloadsDir)));
  for (const [i, p] of packages.entries()) {
    const deb = debs[i]!;
    const entries = readTar(await dataTar(deb));
    const pkgTree = new FileTree();
    for (const e of entries) {
      if (e.path === '' || droppedFromImage(e.path)) continue;
      if (e.type !== 'dir' && e.mode & 0o6000) throw new Error(`${p.name}: ${e.path} is setuid/setgid; refusing to put it in an image`);
      // Everything belongs to root: no package's user or group exists in the image (var/local
      // is root:staff 2775 in base-files), and nothing in an image is written by its owner.
      const owner = { uid: 0, gid: 0 };
      if (e.type === 'dir') pkgTree.dir(e.path, { ...owner, mode: e.mode & ~0o2000 });
      else if (e.type === 'file') pkgTree.file(e.path, e.data!, { ...owner, mode: e.mode });
      else if (e.type === 'symlink') {
        if (resolveLinkTarget(e.path, e.linkname!) === undefined) throw new Error(`${p.name}: symlink ${e.path} → ${e.linkname} leaves the root`);
        pkgTree.symlink(e.path, e.linkname!, owner);
      } else pkgTree.hardlink(e.path, e.linkname!, { ...owner, mode: e.mode });
    }
    const control = (await controlFields(deb)).trimEnd() + '\n';
    pkgTree.file(`var/lib/dpkg/status.d/${p.name}`, control);
    tree.merge(pkgTree, { what: `Debian package ${p.name}` });
  }
  return tree;
}
