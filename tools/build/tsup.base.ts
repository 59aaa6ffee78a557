import type { Options } from 'tsup';

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
  };
}
