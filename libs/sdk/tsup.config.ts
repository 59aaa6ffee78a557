import { readFileSync, writeFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const workspace = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string; description: string };

/**
 * The publishable package is dist/ itself: one ESM file with its only dependency (yaml, for
 * kubeconfigs) inlined, its type declarations, and a package.json of its own. It needs nothing
 * from this monorepo and nothing from npm at run time, on Node ≥ 22.
 */
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm'],
  platform: 'node',
  target: 'node22',
  outDir: 'dist',
  clean: true,
  sourcemap: true,
  dts: true,
  splitting: false,
  noExternal: [/.*/],
  // Inlined CommonJS reaches Node's builtins through `require`.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  onSuccess: async () => {
    const manifest = {
      name: '@agent-sandbox/sdk',
      version: workspace.version,
      description: workspace.description,
      license: 'Apache-2.0',
      type: 'module',
      engines: { node: '>=22' },
      exports: { '.': { types: './index.d.ts', import: './index.js' } },
      types: './index.d.ts',
      files: ['index.js', 'index.js.map', 'index.d.ts', 'README.md'],
      sideEffects: false,
    };
    writeFileSync('dist/package.json', `${JSON.stringify(manifest, null, 2)}\n`);
    writeFileSync('dist/README.md', readFileSync('README.md'));
  },
});
