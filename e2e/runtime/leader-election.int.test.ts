import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kinds } from '@agent-sandbox/runtime';
import { consistently, createTestNamespace, testKubeConfig, type TestNamespace } from '@agent-sandbox/controlplane/testing';
import { inject } from 'vitest';
import { acquireClusterLock, configMap, pool, testClient, waitUntil } from './helpers.ts';

const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
const PROGRAM = fileURLToPath(new URL('./testdata/leader-program.ts', import.meta.url));
const LEASE_MS = 4_000;

interface Replica {
  id: string;
  child: ChildProcess;
  lines: Array<Record<string, unknown> & { msg?: string; time?: string }>;
  exited: Promise<number | null>;
  /** Local time at which a log line with `msg` was first read. */
  when(msg: string): number | undefined;
}

function startReplica(id: string, namespace: string): Replica {
  const child = spawn(
    NODE,
    [
      PROGRAM,
      `--kubeconfig=${inject('kubeconfig')}`,
      `--watch-namespace=${namespace}`,
      '--leader-elect',
      `--leader-election-namespace=${namespace}`,
      '--leader-election-id=leader-test',
      `--leader-election-identity=${id}`,
      `--leader-election-lease-duration=${LEASE_MS}ms`,
      '--leader-election-renew-deadline=3s',
      '--leader-election-retry-period=500ms',
      '--health-probe-bind-address=127.0.0.1:0',
      '--shutdown-timeout=10s',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OTEL_TRACES_EXPORTER: 'none' } },
  );
  const lines: Replica['lines'] = [];
  const seenAt = new Map<string, number>();
  createInterface({ input: child.stdout! }).on('line', (text) => {
    try {
      const line = JSON.parse(text) as Replica['lines'][number];
      lines.push(line);
      if (line.msg && !seenAt.has(line.msg)) seenAt.set(line.msg, Date.now());
    } catch {
      // not a log line
    }
  });
  child.stderr!.on('data', (d) => process.stderr.write(`[${id}] ${d}`));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { id, child, lines, exited, when: (msg) => seenAt.get(msg) };
}

const reconciledKeys = (r: Replica) => new Set(r.lines.filter((l) => l.msg === 'reconcile').map((l) => String(l.key)));

describe('leader election between replicas (child processes)', () => {
  let ns: TestNamespace;
  const replicas: Replica[] = [];
  let unlock: () => Promise<void> = async () => {};
  beforeAll(async () => {
    unlock = await acquireClusterLock();
    testKubeConfig();
    ns = await createTestNamespace('rt-lease');
  });
  afterAll(async () => {
    try {
      for (const r of replicas) if (r.child.exitCode === null) r.child.kill('SIGKILL');
      await ns.remove();
    } finally {
      await unlock();
    }
  });

  it('lets exactly one replica reconcile, hands over in < 2 s on SIGTERM and within the lease duration on SIGKILL', async () => {
    const client = testClient();
    const a = startReplica('replica-a', ns.name);
    replicas.push(a);
    await waitUntil('replica-a to lead', () => a.when('became leader') !== undefined, 30_000);
    const b = startReplica('replica-b', ns.name);
    replicas.push(b);
    await waitUntil('replica-b to sync', () => b.when('caches synced') !== undefined, 30_000);

    const names = Array.from({ length: 10 }, (_, i) => `le-${i}`);
    await pool(names, 5, (name) => client.create(Kinds.ConfigMap, configMap(ns.name, name)));
    await waitUntil('replica-a to reconcile all', () => names.every((n) => reconciledKeys(a).has(`${ns.name}/${n}`)), 30_000);
    await consistently('replica-b to stand by, reconciling nothing', () => reconciledKeys(b).size === 0 && b.when('became leader') === undefined, 1_000);

    // SIGTERM: the leader drains, releases the lease, and the standby takes over at once.
    const termAt = Date.now();
    a.child.kill('SIGTERM');
    await waitUntil('replica-b to lead', () => b.when('became leader') !== undefined, 10_000, 10);
    const termHandover = b.when('became leader')! - termAt;
    expect(await a.exited).toBe(0);
    expect(a.lines.some((l) => l.msg === 'released the lease')).toBe(true);
    expect(termHandover).toBeLessThan(2_000);
    await waitUntil('replica-b to reconcile all', () => names.every((n) => reconciledKeys(b).has(`${ns.name}/${n}`)), 30_000);

    // SIGKILL: nothing is released; a standby takes over once the lease runs out.
    const c = startReplica('replica-c', ns.name);
    replicas.push(c);
    await waitUntil('replica-c to sync', () => c.when('caches synced') !== undefined, 30_000);
    await new Promise((r) => setTimeout(r, 700));
    const killAt = Date.now();
    b.child.kill('SIGKILL');
    await waitUntil('replica-c to lead', () => c.when('became leader') !== undefined, LEASE_MS * 3, 10);
    const killHandover = c.when('became leader')! - killAt;
    // The last renewal was at most one retry period before the kill; allow scheduling slack.
    expect(killHandover).toBeLessThan(LEASE_MS + 300);
    expect(killHandover).toBeGreaterThan(LEASE_MS - 1_000);
    await waitUntil('replica-c to reconcile all', () => names.every((n) => reconciledKeys(c).has(`${ns.name}/${n}`)), 30_000);
    console.log(`handover after SIGTERM ${termHandover} ms; after SIGKILL ${killHandover} ms (lease ${LEASE_MS} ms)`);

    c.child.kill('SIGTERM');
    expect(await c.exited).toBe(0);
  });
});
