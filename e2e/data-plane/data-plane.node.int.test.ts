/**
 * The data plane end to end on the real node: Sandboxes whose container is our runtime image
 * (Python from Debian, read-only root, non-root), claimed from a warm pool of 3 by both SDKs
 * from this host, through the sandbox-router installed from its Helm chart and reached at its
 * Service's ClusterIP. The controllers run as host processes with exactly their shipped RBAC.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SANDBOX, SANDBOX_CLAIM } from '@agent-sandbox/api';
import { ControlPlane, POD_PIDS_LIMIT } from '@agent-sandbox/controlplane';
import { testKubeConfig } from '@agent-sandbox/controlplane/testing';
import { Kinds, type KubeObject, type ResourceKind } from '@agent-sandbox/runtime';
import { CommandTimeoutError, RouterError, SandboxClient, SandboxGoneError, type OutputEvent } from '@agent-sandbox/sdk';
import { eventually, ROOT } from '../support/programs.ts';
import { forbiddenRouterLines, startDataPlane, type DataPlane } from '../support/real-node-data-plane.ts';

const POOL_SIZE = 3;

let dp: DataPlane;
let client: SandboxClient;

beforeAll(async () => {
  const name = inject('localCluster');
  const cluster = name ? await ControlPlane.open(name) : undefined;
  if (!cluster) throw new Error('the data-plane suite loads images into the real node of the local test cluster: run it without KUBECONFIG');
  dp = await startDataPlane({ prefix: 'dp-node', poolSize: POOL_SIZE, cluster, kubeconfigPath: inject('kubeconfig'), kc: testKubeConfig() });
  client = new SandboxClient({ kubeconfig: dp.agentKubeconfig, connection: { mode: 'router', url: dp.routerUrl } });
  await dp.waitForPool(POOL_SIZE);
}, 900_000);

afterAll(async () => {
  // Kept for a look at what failed (npm run cluster -- down --name <cluster> removes it all).
  if (process.env.AGENT_SANDBOX_KEEP_CLUSTER === '1') return console.error(`data plane kept in namespace ${dp?.ns}`);
  await client?.close();
  const routerLines = dp ? await dp.routerLogs() : [];
  await dp?.teardown();
  // The router (installed by its chart) needed no right beyond its ClusterRole.
  expect(forbiddenRouterLines(routerLines)).toEqual([]);
}, 120_000);

const exists = async (kind: ResourceKind, name: string) =>
  dp.suite.admin.get(kind, { namespace: dp.ns, name }).then(
    (o: KubeObject) => !o.metadata.deletionTimestamp,
    (err: { code?: number }) => (err.code === 404 ? false : Promise.reject(err)),
  );

/** The claim, its Sandbox and the Sandbox's Pod are all gone from the API server. */
async function expectGone(claim: string, sandbox: string): Promise<void> {
  await eventually(
    `claim ${claim}, Sandbox ${sandbox} and its Pod to be gone`,
    async () => [await exists(SANDBOX_CLAIM, claim), await exists(SANDBOX, sandbox), await exists(Kinds.Pod, sandbox)],
    (left) => left.every((x) => !x),
    60_000,
  );
}

function poolMembers(): Promise<string[]> {
  return dp.waitForPool(POOL_SIZE);
}

describe('an agent with the TypeScript SDK', () => {
  it('claims a warm sandbox, runs Python, moves 1 MiB byte for byte, streams as output comes, and leaves nothing behind', async () => {
    const warm = await poolMembers();
    let claimName: string;
    let sandboxName: string;
    {
      await using sandbox = await client.create({ warmPool: dp.poolName });
      claimName = sandbox.claimName;
      sandboxName = sandbox.sandboxName;
      expect(claimName).toMatch(/^sandbox-claim-[0-9a-f]{8}$/);
      // Handed out from the pool: one of the members that were warm before the claim.
      expect(warm).toContain(sandboxName);

      expect(await sandbox.run("python3 -c 'print(6*7)'")).toEqual({ stdout: '42\n', stderr: '', exitCode: 0 });

      const content = randomBytes(1024 * 1024);
      await sandbox.files.write('data/random.bin', content);
      expect((await sandbox.files.list('data')).map((e) => [e.name, e.size, e.type])).toEqual([['random.bin', content.length, 'file']]);
      const back = await sandbox.files.read('data/random.bin');
      expect(Buffer.from(back).equals(content)).toBe(true);

      const seen: Array<{ event: OutputEvent; at: number }> = [];
      for await (const event of sandbox.stream(`python3 -u -c 'import time\nfor i in range(10):\n    print(i)\n    time.sleep(0.1)'`)) {
        seen.push({ event, at: performance.now() });
      }
      const lines = seen.filter((s) => s.event.type === 'stdout');
      expect(lines.map((s) => (s.event as { data: string }).data).join('')).toBe('0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n');
      expect(seen.at(-1)!.event).toEqual({ type: 'exit', exitCode: 0 });
      // The first line arrived while the command still had most of its second to run.
      expect(seen.at(-1)!.at - lines[0]!.at).toBeGreaterThan(500);
      expect(await exists(SANDBOX_CLAIM, claimName)).toBe(true);
    }
    await expectGone(claimName, sandboxName);
  });

  it('runs in a hardened sandbox: non-root, read-only root, writable base, orphans reaped, a timed-out command killed with its group', async () => {
    await using sandbox = await client.create({ warmPool: dp.poolName });
    expect((await sandbox.run('id -u')).stdout).toBe('65532\n');
    const readOnly = await sandbox.run("sh -c 'touch /etc/x 2>&1; touch /app/x && echo base-writable'");
    expect(readOnly.stdout).toMatch(/Read-only file system\nbase-writable\n$/);

    // A child that leaves its group (new session) and outlives its parent is re-parented to PID 1.
    const orphan = await sandbox.run(
      `python3 -c 'import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(0.3)\n    os._exit(0)'`,
    );
    expect(orphan.exitCode).toBe(0);
    const states = async () => (await sandbox.run(`sh -c 'for f in /proc/[0-9]*/stat; do cat "$f" 2>/dev/null; echo; done'`)).stdout;
    // Once it has exited, PID 1 (tini) has reaped it: no zombie stays.
    await eventually('the orphan to exit and be reaped', states, (s) => !/ \(python3\) /.test(s), 10_000);
    expect(await states()).not.toMatch(/\) Z /);

    // An endless command with background children: killed at its timeout, all of its group.
    await expect(sandbox.run(`sh -c 'sleep 1000 & sleep 1000 & while :; do sleep 1; done'`, { timeoutMs: 1_000 })).rejects.toBeInstanceOf(CommandTimeoutError);
    // Killed, and (once dead) reaped by PID 1: no sleep is left in the sandbox.
    await eventually('no sleep left', async () => (await sandbox.run(`sh -c 'cat /proc/[0-9]*/comm'`)).stdout.split('\n'), (names) => !names.includes('sleep'), 5_000);
  });
});

/** The pids cgroup (v1) the kubelet made for the Pod with this uid, on this host. */
function podPidsCgroup(uid: string): string {
  const want = `pod${uid}`;
  const search = (dir: string, depth: number): string | undefined => {
    if (depth < 0) return undefined;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      if (entry.name === want || entry.name === want.replaceAll('-', '_')) return join(dir, entry.name);
      const found = search(join(dir, entry.name), depth - 1);
      if (found) return found;
    }
    return undefined;
  };
  const root = '/sys/fs/cgroup/pids';
  const found = existsSync(root) ? search(root, 4) : undefined;
  if (!found) throw new Error(`no pids cgroup for Pod ${uid} under ${root}`);
  return found;
}

describe('a fork bomb in a sandbox', () => {
  it('is held under the Pod\'s pids limit, is killed at its timeout with its whole group, and the sandbox answers afterwards', async () => {
    await using sandbox = await client.create({ warmPool: dp.poolName });
    const pod = await dp.suite.admin.get<KubeObject>(Kinds.Pod, { namespace: dp.ns, name: sandbox.sandboxName });
    const cgroup = podPidsCgroup(pod.metadata.uid!);
    const read = (file: string) => readFileSync(join(cgroup, file), 'utf8').trim();
    // The kubelet's podPidsLimit is on this Pod: without it the bomb below would run into the
    // host's pid_max, which every process on this machine shares, so nothing runs unless it is.
    expect(read('pids.max')).toBe(String(POD_PIDS_LIMIT));
    const before = Number(read('pids.current'));
    expect(before).toBeLessThan(50);

    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, Number(read('pids.current')));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const started = performance.now();
    const bomb = sandbox.run(`bash -c 'f(){ f | f & }; f'`, { timeoutMs: 5_000 });
    await expect(bomb).rejects.toBeInstanceOf(CommandTimeoutError);
    const took = performance.now() - started;
    sampling = false;
    await sampler;
    // It really forked (how far in 5 s depends on the CPU a 10m request gets on a loaded
    // machine), and never past the limit.
    expect(peak).toBeGreaterThan(before + 100);
    expect(peak).toBeLessThanOrEqual(POD_PIDS_LIMIT);
    // Ended by its timeout, not by running out of room on its own.
    expect(took).toBeGreaterThanOrEqual(4_900);

    // The whole group is killed and reaped: the Pod is back to the runtime's own few (a thread or
    // two the runtime may have started meanwhile count too).
    await eventually('the bomb\'s processes to be gone', async () => Number(read('pids.current')), (n) => n <= before + 8, 60_000);
    expect(await sandbox.run("python3 -c 'print(6*7)'")).toEqual({ stdout: '42\n', stderr: '', exitCode: 0 });
    // The runtime survived it (no container restart).
    const after = await dp.suite.admin.get<KubeObject & { status?: { containerStatuses?: Array<{ restartCount: number }> } }>(Kinds.Pod, { namespace: dp.ns, name: sandbox.sandboxName });
    expect(after.status?.containerStatuses?.[0]?.restartCount).toBe(0);
  });
});

describe('an agent with the Python SDK', () => {
  it('claims a warm sandbox, runs Python, moves 1 MiB byte for byte, streams as output comes, and leaves nothing behind', async () => {
    const warm = await poolMembers();
    const child = spawn('/usr/bin/python3', [join(import.meta.dirname, 'python_flow.py'), dp.agentKubeconfig, dp.routerUrl, dp.poolName], {
      env: { ...process.env, PYTHONPATH: join(ROOT, 'libs', 'python-sdk'), PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c));
    child.stderr.on('data', (c: Buffer) => (stderr += c));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(0);
    const out = JSON.parse(stdout) as {
      claim: string;
      sandbox: string;
      run: unknown;
      listing: unknown;
      written_sha256: string;
      read_sha256: string;
      read_length: number;
      events: Array<{ type: string; data: string; exit_code: number | null; at: number }>;
    };
    expect(out.claim).toMatch(/^sandbox-claim-[0-9a-f]{8}$/);
    expect(warm).toContain(out.sandbox);
    expect(out.run).toEqual({ stdout: '42\n', stderr: '', exit_code: 0 });
    expect(out.listing).toEqual([['random.bin', 1024 * 1024, 'file']]);
    expect(out.read_length).toBe(1024 * 1024);
    expect(out.read_sha256).toBe(out.written_sha256);
    const lines = out.events.filter((e) => e.type === 'stdout');
    expect(lines.map((e) => e.data).join('')).toBe('0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n');
    const last = out.events.at(-1)!;
    expect(last).toMatchObject({ type: 'exit', exit_code: 0 });
    expect(last.at - lines[0]!.at).toBeGreaterThan(0.5);
    await expectGone(out.claim, out.sandbox);
  });
});

describe('the router', () => {
  async function call(token: string | undefined, sandbox: string): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${dp.routerUrl}/`, {
      headers: { 'x-sandbox-id': sandbox, 'x-sandbox-namespace': dp.ns, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    return { status: res.status, body: await res.json() };
  }

  it('refuses a caller without rights (403) and names no sandbox it does not know (404)', async () => {
    const [member] = await poolMembers();
    // The pool member exists and is Ready: what refuses the stranger is authorization alone.
    expect(await call(dp.strangerToken, member!)).toMatchObject({ status: 403, body: { detail: expect.any(String) } });
    expect(await call(undefined, member!)).toMatchObject({ status: 401 });
    // A caller who may get Sandboxes reaches the member's runtime…
    expect(await call(dp.inspectorToken, member!)).toEqual({ status: 200, body: { status: 'ok', message: expect.any(String) } });
    // …and learns that an unknown one does not exist.
    expect(await call(dp.inspectorToken, 'no-such-sandbox')).toMatchObject({ status: 404, body: { detail: expect.any(String) } });
  });

  it('turns the SDK\'s calls for a sandbox that is gone into SandboxGoneError', async () => {
    const sandbox = await client.create({ warmPool: dp.poolName });
    await dp.suite.admin.delete(SANDBOX_CLAIM, { namespace: dp.ns, name: sandbox.claimName });
    await expectGone(sandbox.claimName, sandbox.sandboxName);
    const err = await sandbox.run('true').then(
      () => undefined,
      (e: unknown) => e,
    );
    // The claim is gone, so the caller's right to it is too: refused or unknown, never routed.
    expect(err instanceof SandboxGoneError || (err instanceof RouterError && err.status === 403)).toBe(true);
    await sandbox.terminate();
  });
});

describe('twenty sandboxes at once from one client', () => {
  it('creates, uses and removes 20 sandboxes in parallel', async () => {
    await poolMembers();
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        await using sandbox = await client.create({ warmPool: dp.poolName, readyTimeoutMs: 240_000 });
        // Twenty Pods starting on two shared cores: Python's first start may take a while.
        const r = await sandbox.run(`python3 -c 'print(${i} * ${i})'`, { timeoutMs: 180_000 });
        await sandbox.files.write('n.txt', String(i));
        const back = await sandbox.files.readText('n.txt');
        return { claim: sandbox.claimName, sandbox: sandbox.sandboxName, stdout: r.stdout, back };
      }),
    );
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => `${i * i}\n`));
    expect(results.map((r) => r.back)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    // Twenty different sandboxes.
    expect(new Set(results.map((r) => r.sandbox)).size).toBe(20);
    for (const r of results) await expectGone(r.claim, r.sandbox);
    // And the pool is back to its size.
    expect((await poolMembers()).length).toBeGreaterThanOrEqual(POOL_SIZE);
  }, 600_000);
});
