import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/**
 * The tag rules in eslint.config.js are only worth having if they fire. Nx skips the rule
 * silently when no project graph is cached, so this builds one first and then lints
 * made-up files placed inside real projects.
 */
describe('module boundaries', () => {
  let eslint: ESLint;
  beforeAll(async () => {
    execFileSync(join(ROOT, 'node_modules', '.bin', 'nx'), ['show', 'projects'], { cwd: ROOT, stdio: 'ignore' });
    eslint = new ESLint({ cwd: ROOT });
    // The first lint loads the parser, the plugins and the project graph (seconds on a busy
    // machine): do it here, under the hook's budget, so each test times only its own lint.
    await eslint.lintText('export {};\n', { filePath: join(ROOT, 'libs/api/src/probe.ts') });
  }, 60_000);

  async function boundaryErrors(file: string, importFrom: string): Promise<string[]> {
    const code = `import { x } from '${importFrom}';\nexport const y = x;\n`;
    const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
    return result!.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
  }

  it('forbids reaching into another project by a relative path', async () => {
    expect((await boundaryErrors('apps/claim-controller/src/probe.ts', '../../sandbox-controller/src/main.ts')).join('\n')).toMatch(
      /Projects cannot be imported by a relative or absolute path/,
    );
  });

  it('lets an app use libraries', async () => {
    expect(await boundaryErrors('apps/ttl-reaper/src/probe.ts', '@agent-sandbox/runtime')).toEqual([]);
    expect(await boundaryErrors('apps/ttl-reaper/src/probe.ts', '@agent-sandbox/api')).toEqual([]);
  });

  // Apps export nothing, so the bare name of an app does not resolve at all (the type check
  // refuses it); a path into an app is the only way in, and the rule must stop it.
  it('forbids an app importing another app', async () => {
    const errors = await boundaryErrors('apps/claim-controller/src/probe.ts', '@agent-sandbox/sandbox-controller/src/main.ts');
    expect(errors.join('\n')).toMatch(/tagged with "type:app" can only depend on libs tagged with "type:lib"/);
  });

  it('keeps developer tooling out of programs: the image tooling is a tool', async () => {
    expect((await boundaryErrors('apps/ttl-reaper/src/probe.ts', '@agent-sandbox/images')).join('\n')).toMatch(
      /tagged with "type:app" can only depend on libs tagged with "type:lib"/,
    );
    expect(await boundaryErrors('e2e/probe.ts', '@agent-sandbox/images')).toEqual([]);
  });

  it('forbids a library importing an app or a tool', async () => {
    // Every app depends on the runtime library, so Nx reports the cycle before the tag rule.
    expect((await boundaryErrors('libs/runtime/src/probe.ts', '@agent-sandbox/claim-controller/src/main.ts')).join('\n')).toMatch(
      /Circular dependency between "@agent-sandbox\/runtime" and "@agent-sandbox\/claim-controller"|tagged with "type:lib"/,
    );
    // The control plane's test helpers come from the runtime library: the cycle may come first here too.
    expect((await boundaryErrors('libs/runtime/src/probe.ts', '@agent-sandbox/controlplane')).join('\n')).toMatch(
      /tagged with "type:lib" can only depend on libs tagged with "type:lib"|Circular dependency between "@agent-sandbox\/runtime" and "@agent-sandbox\/controlplane"/,
    );
  });

  it('keeps the model library free of runtime libraries', async () => {
    // telemetry depends on nothing of ours, so the tag rule itself answers.
    expect((await boundaryErrors('libs/api/src/probe.ts', '@agent-sandbox/telemetry')).join('\n')).toMatch(
      /tagged with "scope:model" can only depend on libs tagged with "scope:model"/,
    );
    // The runtime builds on the model, so Nx may report the cycle before the tag rule.
    expect((await boundaryErrors('libs/api/src/probe.ts', '@agent-sandbox/runtime')).join('\n')).toMatch(
      /tagged with "scope:model" can only depend on libs tagged with "scope:model"|Circular dependency between "@agent-sandbox\/api" and "@agent-sandbox\/runtime"/,
    );
  });
});
