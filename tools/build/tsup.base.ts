import { builtinModules } from 'node:module';
import type { Options } from 'tsup';

const BUILTINS = new Set(builtinModules);

/**
 * Node's built-in modules reached through process.getBuiltinModule() instead of ESM imports.
 * An ESM import of a built-in makes Node build a facade that reads every export, lazy getters
 * included: `node:http` then loads the whole bundled undici for its WebSocket getter, `node:tls`
 * parses every root certificate, `node:crypto` sets up WebCrypto. Measured: `import 'node:http'`
 * ~60 MB resident, the same module from getBuiltinModule ~48 MB. As a CommonJS module to
 * esbuild, each import reads only the names the code uses, when it uses them.
 */
const builtinsWithoutFacades: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'builtins-without-facades',
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z_]+(\/[a-z_]+)?$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      return BUILTINS.has(name) ? { path: name, namespace: 'node-builtin' } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (args) => ({
      contents: CALLED_LATE.has(args.path) ? lateBuiltin(args.path) : `module.exports = process.getBuiltinModule(${JSON.stringify(`node:${args.path}`)});`,
      loader: 'js',
    }));
  },
};

/**
 * Built-ins that bundled packages require when they load but call only later, if ever (pino's
 * sonic-boom and thread-stream keep `assert` for rare errors): each is loaded on first use.
 * With the Pushgateway left out below, 0.1–0.5 MB less resident in each idle program (footprint
 * bench, side by side).
 */
const CALLED_LATE = new Set(['assert']);

/** A stand-in that loads the built-in when it is first called or read. */
function lateBuiltin(name: string): string {
  return `let loaded; const load = () => (loaded ??= process.getBuiltinModule(${JSON.stringify(`node:${name}`)}));
module.exports = new Proxy(() => {}, {
  apply: (_, self, args) => Reflect.apply(load(), self, args),
  construct: (_, args) => Reflect.construct(load(), args),
  get: (_, key) => load()[key],
  set: (_, key, value) => ((load()[key] = value), true),
  has: (_, key) => key in load(),
});`;
}

/**
 * prom-client's Pushgateway, which no program uses, without its code: prom-client loads it (and
 * with it `node:zlib`) when it is imported.
 */
const withoutPushgateway: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'without-pushgateway',
  setup(build) {
    build.onResolve({ filter: /^\.\/lib\/pushgateway$/ }, (args) => (/[\\/]prom-client[\\/]/.test(args.importer) ? { path: 'pushgateway', namespace: 'no-pushgateway' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'no-pushgateway' }, () => ({
      contents: `module.exports = class Pushgateway { constructor() { throw new Error('prom-client Pushgateway is not in this bundle'); } };`,
      loader: 'js',
    }));
  },
};

/**
 * Escapes what non-ASCII text esbuild leaves in a bundle (it keeps some comments as written).
 * One such character makes V8 hold the whole source as a two-byte string: ~1 MB more resident
 * memory for a program's bundle. In code (strings, regular expressions) a \uXXXX escape means the
 * same character; in comments it is only text. Line numbers are unchanged.
 */
const asciiOnly: NonNullable<Options['plugins']>[number] = {
  name: 'ascii-only',
  renderChunk(code, chunk) {
    if (!chunk.path.endsWith('.js') || !/[\u0080-\uffff]/.test(code)) return undefined;
    return { code: code.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`), map: chunk.map ?? null };
  },
};

/**
 * The one build recipe every program shares: a single ESM bundle for Node 24 with
 * the workspace libraries inlined (they are TypeScript sources, not published packages)
 * and third-party packages left as imports resolved from node_modules at run time.
 */
export function programBuild(entry = 'src/main.ts'): Options {
  return {
    entry: { main: entry },
    format: ['esm'],
    platform: 'node',
    target: 'node24',
    outDir: 'dist',
    clean: true,
    sourcemap: true,
    splitting: false,
    dts: false,
    // Our libraries are inlined; third-party packages stay imports resolved from node_modules.
    noExternal: [/^@agent-sandbox\//],
    skipNodeModulesBundle: true,
    plugins: [asciiOnly],
  };
}

/**
 * A program that must run from its bundle alone (no node_modules beside it): every package is
 * inlined. CommonJS packages inside an ESM bundle reach Node's builtins through `require`,
 * which the banner provides.
 */
export function selfContainedProgramBuild(entry = 'src/main.ts'): Options {
  return {
    ...programBuild(entry),
    noExternal: [/^(?!@kubernetes\/client-node$).*/],
    // Loaded only for kubeconfigs with a legacy auth-provider (see libs/runtime kubeconfig.ts);
    // inlined, its whole surface would be most of the bundle.
    external: ['@kubernetes/client-node'],
    skipNodeModulesBundle: false,
    // The whole source text stays in the heap: no comments or indentation (names are kept, so
    // stack traces still read; the source map has the rest).
    minifyWhitespace: true,
    minifySyntax: true,
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    // Keep `node:` prefixes for builtinsWithoutFacades (tsup's own plugin would mark them external first).
    removeNodeProtocol: false,
    esbuildPlugins: [builtinsWithoutFacades, withoutPushgateway],
  };
}
