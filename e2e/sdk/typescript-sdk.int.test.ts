import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SANDBOX, SANDBOX_CLAIM } from '@agent-sandbox/api';
import {
  ClaimFailedError,
  ClaimRefusedError,
  CommandTimeoutError,
  RouterError,
  RuntimeError,
  SandboxClient,
  SandboxGoneError,
  SandboxReadyTimeoutError,
  type OutputEvent,
} from '@agent-sandbox/sdk';
import { callerToken, ClaimBinder, forbiddenLines, kubeconfigFor, routerUrl, type BindAction } from '../support/data-plane.ts';
import { eventually, programSuite, type ProgramProcess, type ProgramSuite } from '../support/programs.ts';
import { hostAddress, startRuntime, type RuntimeProcess } from '../support/runtime-process.ts';

/*
 * The TypeScript SDK against the real API server (claims created, watched and deleted for
 * real, as a ServiceAccount with only the rights a user of the SDK needs) and a real router and
 * runtime. Until the real node exists, a binder stands in for the claim-controller: it binds a
 * claim by writing what the controllers would (a Sandbox, its Pod at this machine's address,
 * the claim's Ready status), or reports the condition a test asks for.
 */

let suite: ProgramSuite;
let ns: string;
let runtime: RuntimeProcess;
let binder: ClaimBinder;
let client: SandboxClient;
let direct: SandboxClient;
let url: string;
let router: ProgramProcess;
const dir = mkdtempSync(join(tmpdir(), 'sdk-e2e-'));
const host = hostAddress();
/** What the binder does with the next claims, by pool name. */
const plans = new Map<string, BindAction>();

beforeAll(async () => {
  suite = await programSuite('ts-sdk');
  ns = suite.ns.name;
  runtime = await startRuntime({ host });
  binder = new ClaimBinder(suite.admin, ns, (claim) => plans.get((claim.spec as { warmPoolRef: { name: string } }).warmPoolRef.name) ?? { kind: 'bind', address: host });
  await binder.start();
  router = await suite.start('sandbox-router', ['--bind-address=127.0.0.1:0']);
  url = routerUrl(router);
  // A user of the SDK: may manage claims in its namespace, and nothing else.
  const token = await callerToken(suite.admin, ns, 'agent', [
    { apiGroups: [SANDBOX_CLAIM.group], resources: [SANDBOX_CLAIM.plural], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
  ]);
  const kubeconfig = kubeconfigFor(token, ns, dir);
  client = new SandboxClient({ kubeconfig, connection: { mode: 'router', url, port: runtime.port } });
  direct = new SandboxClient({ kubeconfig, connection: { mode: 'direct', port: runtime.port } });
});

afterAll(async () => {
  await client?.close();
  await direct?.close();
  await binder?.stop();
  await runtime?.stop();
  await suite?.teardown();
  rmSync(dir, { recursive: true, force: true });
  expect(binder?.errors ?? []).toEqual([]);
  // The router needed no right beyond its rbac.yaml.
  expect(router ? forbiddenLines(router) : []).toEqual([]);
});

const claimExists = async (name: string) =>
  suite.admin.get(SANDBOX_CLAIM, { namespace: ns, name }).then(
    () => true,
    (err: { code?: number }) => (err.code === 404 ? false : Promise.reject(err)),
  );

describe('a sandbox from create to the end of its block', () => {
  it('runs Python, moves 1 MiB byte for byte, streams as output comes, and is gone after the block', async () => {
    let claimName: string;
    {
      await using sandbox = await client.create({ warmPool: 'python', labels: { 'team.example/owner': 'e2e' }, shutdownAfterSeconds: 600 });
      claimName = sandbox.claimName;
      expect(claimName).toMatch(/^sandbox-claim-[0-9a-f]{8}$/);
      expect(sandbox.sandboxName).toBe(claimName);
      const claim = await suite.admin.get<{ metadata: { labels: Record<string, string>; annotations: Record<string, string> }; spec: Record<string, unknown> }>(SANDBOX_CLAIM, { namespace: ns, name: claimName });
      expect(claim.metadata.labels).toMatchObject({ 'agents.x-k8s.io/created-by': 'typescript-client', 'team.example/owner': 'e2e' });
      expect(claim.metadata.annotations['agents.x-k8s.io/client-first-requested-at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
      expect(claim.spec).toMatchObject({ warmPoolRef: { name: 'python' }, lifecycle: { shutdownPolicy: 'Delete', shutdownTime: expect.any(String) } });

      expect(await sandbox.run("python3 -c 'print(6*7)'")).toEqual({ stdout: '42\n', stderr: '', exitCode: 0 });

      const content = randomBytes(1024 * 1024);
      await sandbox.files.write('data/random.bin', content);
      expect((await sandbox.files.list('data')).map((f) => [f.name, f.size, f.type])).toEqual([['random.bin', content.length, 'file']]);
      expect(Buffer.from(await sandbox.files.read('data/random.bin')).equals(content)).toBe(true);
      expect(await sandbox.files.exists('data/random.bin')).toBe(true);
      expect(await sandbox.files.exists('data/nothing')).toBe(false);

      const seen: Array<{ event: OutputEvent; at: number }> = [];
      for await (const event of sandbox.stream(`python3 -u -c "import time\nfor i in range(5):\n    print(i)\n    time.sleep(0.1)"`)) seen.push({ event, at: Date.now() });
      const lines = seen.filter((s) => s.event.type === 'stdout');
      expect(lines.map((s) => (s.event as { data: string }).data).join('')).toBe('0\n1\n2\n3\n4\n');
      expect(seen.at(-1)!.event).toEqual({ type: 'exit', exitCode: 0 });
      // The first line arrived well before the end: output is streamed, not gathered.
      expect(seen.at(-1)!.at - lines[0]!.at).toBeGreaterThanOrEqual(300);
    }
    expect(await claimExists(claimName)).toBe(false);
  });

  it('works straight to the Pod IP as well (in-cluster mode)', async () => {
    await using sandbox = await direct.create({ warmPool: 'python' });
    expect(sandbox.podIPs).toEqual([host]);
    expect((await sandbox.run('echo direct')).stdout).toBe('direct\n');
  });
});

describe('typed errors', () => {
  it('claim refused: carries the API server\'s message', async () => {
    const err = await client.create({ warmPool: 'python', labels: { 'not a valid key!': 'x' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClaimRefusedError);
    expect((err as ClaimRefusedError).status).toBe(422);
    expect((err as ClaimRefusedError).message).toContain('not a valid key!');
  });

  it('Ready timeout: carries the claim\'s last condition, and the claim is deleted', async () => {
    plans.set('slow', { kind: 'condition', reason: 'SandboxCreatePending', message: 'waiting for a warm sandbox' });
    const err = await client.create({ warmPool: 'slow', readyTimeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxReadyTimeoutError);
    expect((err as SandboxReadyTimeoutError).lastCondition).toMatchObject({ type: 'Ready', status: 'False', reason: 'SandboxCreatePending', message: 'waiting for a warm sandbox' });
    expect(await claimExists((err as SandboxReadyTimeoutError).claim)).toBe(false);
  });

  it('a final reason fails at once, without waiting for the timeout, and the claim is deleted', async () => {
    plans.set('invalid', { kind: 'condition', reason: 'InvalidMetadata', message: 'label app=sandbox-router is refused' });
    const started = Date.now();
    const err = await client.create({ warmPool: 'invalid', readyTimeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClaimFailedError);
    expect((err as ClaimFailedError).condition).toMatchObject({ reason: 'InvalidMetadata', message: 'label app=sandbox-router is refused' });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await claimExists((err as ClaimFailedError).claim)).toBe(false);
  });

  it('an aborted create stops waiting and deletes its claim', async () => {
    plans.set('never', { kind: 'ignore' });
    const abort = new AbortController();
    const pending = client.create({ warmPool: 'never', signal: abort.signal }).catch((e: unknown) => e);
    const created = await eventually('the claim to exist', () => client.listAll(), (claims) => claims.length > 0 && claims.some((c) => !c.ready), 10_000);
    abort.abort();
    const err = await pending;
    expect((err as Error).name).toBe('AbortError');
    const name = created.find((c) => !c.ready)!.name;
    await eventually('the aborted claim to be deleted', () => claimExists(name), (exists) => !exists, 10_000);
  });

  it('command timeout, path refused by the runtime, router refusal, sandbox gone', async () => {
    const sandbox = await client.create({ warmPool: 'python' });
    const timeout = await sandbox.run("sh -c 'echo started; sleep 30'", { timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(timeout).toBeInstanceOf(CommandTimeoutError);
    expect((timeout as CommandTimeoutError).stdout).toBe('started\n');

    const escape = await sandbox.files.read('../../etc/passwd').catch((e: unknown) => e);
    expect(escape).toBeInstanceOf(RuntimeError);
    expect((escape as RuntimeError).status).toBe(403);

    // Another caller cannot read the claim from the API server…
    const stranger = await callerToken(suite.admin, ns, 'stranger', []);
    const strangerClient = new SandboxClient({ kubeconfig: kubeconfigFor(stranger, ns, mkdtempSync(join(dir, 'stranger-'))), connection: { mode: 'router', url } });
    expect(await strangerClient.get(sandbox.claimName).catch((e: unknown) => e)).toMatchObject({ name: 'KubernetesApiError', status: 403 });
    await strangerClient.close();
    // …and with its token the router refuses the sandbox (403); a token that is no token gets 401.
    for (const [token, status] of [[stranger, 403], ['not-a-token', 401]] as const) {
      const other = new SandboxClient({ kubeconfig: join(dir, 'kubeconfig'), connection: { mode: 'router', url, port: runtime.port, token } });
      const err = await (await other.get(sandbox.claimName)).run('true').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RouterError);
      expect((err as RouterError).status).toBe(status);
      other.api.close();
    }

    // The Sandbox disappears under the client (its claim still exists).
    await suite.admin.delete(SANDBOX, { namespace: ns, name: sandbox.sandboxName });
    const gone = await eventually('the router to forget the Sandbox', () => sandbox.run('true').then(() => undefined, (e: unknown) => e), (e) => e instanceof SandboxGoneError, 10_000);
    expect(gone).toBeInstanceOf(SandboxGoneError);
    await sandbox.terminate();
  });
});

describe('the client verbs', () => {
  it('get, listActive, listAll, delete, deleteAll', async () => {
    const a = await client.create({ warmPool: 'python' });
    const b = await client.create({ warmPool: 'python' });
    expect(client.listActive().map((s) => s.claimName).sort()).toEqual([a.claimName, b.claimName].sort());
    const all = await client.listAll();
    expect(all.filter((c) => [a.claimName, b.claimName].includes(c.name)).map((c) => c.ready)).toEqual([true, true]);
    const again = await client.get(a.claimName);
    expect((await again.run('echo same')).stdout).toBe('same\n');
    await client.delete(a.claimName);
    expect(await claimExists(a.claimName)).toBe(false);
    await client.deleteAll();
    expect(await claimExists(b.claimName)).toBe(false);
    expect(client.listActive()).toEqual([]);
    const missing = await client.get(a.claimName).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(SandboxGoneError);
  });

  it('waits for Ready with one watch from the create\'s resourceVersion: no list, no poll', async () => {
    const watches = vi.spyOn(client.api, 'watch');
    const requests = vi.spyOn(client.api, 'request');
    try {
      await using sandbox = await client.create({ warmPool: 'python' });
      const created = await requests.mock.results[0]!.value as { metadata: { resourceVersion: string } };
      expect(requests.mock.calls.map(([method]) => method)).toEqual(['POST']);
      expect(watches).toHaveBeenCalledTimes(1);
      const query = new URL(watches.mock.calls[0]![0], 'https://x').searchParams;
      expect(query.get('resourceVersion')).toBe(created.metadata.resourceVersion);
      expect(query.get('fieldSelector')).toBe(`metadata.name=${sandbox.claimName}`);
    } finally {
      watches.mockRestore();
      requests.mockRestore();
    }
  });
});
