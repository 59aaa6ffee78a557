import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

/*
 * The SDK as a user gets it: packed, installed into an empty folder outside the monorepo (no
 * workspace packages, no node_modules to fall back on, nothing fetched), imported with plain
 * Node and type-checked as a TypeScript consumer would.
 */
const ROOT = join(import.meta.dirname, '..', '..', '..');
const DIST = join(ROOT, 'libs', 'sdk', 'dist');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const work = mkdtempSync(join(tmpdir(), 'sdk-consumer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** npm as the user has it; offline: the package must install from its tarball alone. */
function npm(args: string[], cwd: string): string {
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', env: { ...process.env, npm_config_offline: 'true' } });
}

it('installs from its tarball alone and works from a clean folder', () => {
  if (!existsSync(join(DIST, 'package.json'))) throw new Error(`${DIST} is missing: run \`npm run build\` first`);
  const tarball = npm(['pack', DIST, '--pack-destination', work], work).trim().split('\n').at(-1)!;
  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  npm(['install', join(work, tarball)], app);
  // Nothing but the SDK came along.
  expect(readdirSync(join(app, 'node_modules')).filter((f) => !f.startsWith('.'))).toEqual(['@agent-sandbox']);
  expect(readdirSync(join(app, 'node_modules', '@agent-sandbox'))).toEqual(['sdk']);

  writeFileSync(
    join(app, 'use.mjs'),
    `import * as sdk from '@agent-sandbox/sdk';
import { writeFileSync } from 'node:fs';
const kubeconfig = new URL('./kubeconfig', import.meta.url).pathname;
writeFileSync(kubeconfig, 'apiVersion: v1\\nkind: Config\\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\\nusers: [{name: u, user: {token: t}}]\\ncontexts: [{name: x, context: {cluster: c, user: u, namespace: team}}]\\ncurrent-context: x\\n');
const client = new sdk.SandboxClient({ kubeconfig, connection: { mode: 'router', url: 'http://router.invalid' } });
const out = {
  exports: Object.keys(sdk).sort(),
  namespace: client.namespace,
  claimName: sdk.newClaimName(),
  errorKinds: [new sdk.ClaimRefusedError(422, 'Invalid', 'm') instanceof sdk.SandboxError, new sdk.RouterError(403, 'no') instanceof sdk.SandboxError],
};
await client.close();
console.log(JSON.stringify(out));
`,
  );
  const out = JSON.parse(execFileSync(NODE, ['use.mjs'], { cwd: app, encoding: 'utf8' })) as Record<string, unknown>;
  expect(out.exports).toEqual(expect.arrayContaining(['SandboxClient', 'Sandbox', 'SandboxError', 'ClaimRefusedError', 'SandboxReadyTimeoutError', 'CommandTimeoutError', 'RouterError', 'SandboxGoneError']));
  expect(out.namespace).toBe('team');
  expect(out.claimName).toMatch(/^sandbox-claim-[0-9a-f]{8}$/);
  expect(out.errorKinds).toEqual([true, true]);

  // A TypeScript consumer type-checks against the shipped declarations.
  writeFileSync(
    join(app, 'use.ts'),
    `import { SandboxClient, CommandTimeoutError, type CommandResult, type OutputEvent } from '@agent-sandbox/sdk';
export async function demo(client: SandboxClient, signal: AbortSignal): Promise<number> {
  await using sandbox = await client.create({ warmPool: 'python', shutdownAfterSeconds: 60, signal });
  const result: CommandResult = await sandbox.run('echo hi', { timeoutMs: 1000, signal });
  for await (const event of sandbox.stream('ls')) { const e: OutputEvent = event; void e; }
  await sandbox.files.write('a.txt', new Uint8Array([1, 2]));
  const names: string[] = (await sandbox.files.list('.')).map((f) => f.name);
  try { await sandbox.run('sleep 5', { timeoutMs: 10 }); } catch (err) { if (err instanceof CommandTimeoutError) return err.stdout.length; }
  return result.exitCode + names.length;
}
`,
  );
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, lib: ['es2022', 'esnext.disposable', 'dom'], types: [], skipLibCheck: false }, files: ['use.ts'] }));
  const tsc = spawnSync(NODE, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' });
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(tsc.status).toBe(0);
});
