/**
 * Leader election that fences, shown with the network taken away from the leader alone: a TCP
 * proxy of the test's own stands between the leader and the API server and stalls. The leader
 * must stop writing (and exit) before a standby can acquire the lease, and nothing it tried to
 * write during the stall may land after the standby has started writing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { compareResourceVersions, Kinds } from '@agent-sandbox/runtime';
import { createTestNamespace, type TestNamespace } from '@agent-sandbox/controlplane/testing';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { acquireClusterLock, listConfigMaps, pool, testClient, waitUntil, type ConfigMap } from './helpers.ts';

const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
const PROGRAM = fileURLToPath(new URL('./testdata/output-writer-program.ts', import.meta.url));
const LEASE = { duration: '4s', renewDeadline: '3500ms', retryPeriod: '500ms' };

interface Line {
  msg?: string;
  time?: string;
  key?: string;
}

interface Replica {
  id: string;
  child: ChildProcess;
  lines: Line[];
  exited: Promise<number | null>;
  /** Wall-clock time (ms) of the first line with `msg`, by the replica's own log. */
  first(msg: string): number | undefined;
  last(msg: string): number | undefined;
}

function startReplica(id: string, namespace: string, kubeconfig: string): Replica {
  const child = spawn(
    NODE,
    [
      PROGRAM,
      `--kubeconfig=${kubeconfig}`,
      `--watch-namespace=${namespace}`,
      '--leader-elect',
      `--leader-election-namespace=${namespace}`,
      '--leader-election-id=fencing-test',
      `--leader-election-identity=${id}`,
      `--leader-election-lease-duration=${LEASE.duration}`,
      `--leader-election-renew-deadline=${LEASE.renewDeadline}`,
      `--leader-election-retry-period=${LEASE.retryPeriod}`,
      '--health-probe-bind-address=127.0.0.1:0',
      '--shutdown-timeout=5s',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OTEL_TRACES_EXPORTER: 'none' } },
  );
  const lines: Line[] = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    try {
      lines.push(JSON.parse(text) as Line);
    } catch {
      // not a log line
    }
    if (process.env.RT_TEST_LOGS === '1') process.stderr.write(`[${id}] ${text}\n`);
  });
  child.stderr!.on('data', (d) => process.stderr.write(`[${id}] ${d}`));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const times = (msg: string) => lines.filter((l) => l.msg === msg).map((l) => Date.parse(l.time!));
  return { id, child, lines, exited, first: (msg) => times(msg)[0], last: (msg) => times(msg).at(-1) };
}

describe('leader fencing with the leader\'s network stalled (TCP proxy)', () => {
  let ns: TestNamespace;
  let proxy: TcpProxy;
  const replicas: Replica[] = [];
  let unlock: () => Promise<void> = async () => {};
  beforeAll(async () => {
    unlock = await acquireClusterLock();
    ns = await createTestNamespace('rt-fence');
  });
  afterAll(async () => {
    try {
      for (const r of replicas) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
      await proxy?.close();
      await ns.remove();
    } finally {
      await unlock();
    }
  });

  it('stops the leader before a standby can acquire, aborting what it was writing; no item gets two outputs', async () => {
    const admin = new KubeConfig();
    admin.loadFromFile(inject('kubeconfig'));
    proxy = await TcpProxy.start(admin.getCurrentCluster()!.server);
    // The leader's kubeconfig names the proxy; the standby's the API server itself.
    const viaProxy = new KubeConfig();
    viaProxy.loadFromFile(inject('kubeconfig'));
    viaProxy.clusters = viaProxy.clusters.map((c) => ({ ...c, server: proxy.url() }));
    const dir = mkdtempSync(join(tmpdir(), 'fencing-'));
    writeFileSync(join(dir, 'via-proxy.yaml'), viaProxy.exportConfig(), { mode: 0o600 });

    const a = startReplica('replica-a', ns.name, join(dir, 'via-proxy.yaml'));
    replicas.push(a);
    await waitUntil('replica-a to lead', () => a.first('became leader') !== undefined, 30_000);
    const b = startReplica('replica-b', ns.name, inject('kubeconfig'));
    replicas.push(b);
    await waitUntil('replica-b to sync', () => b.first('caches synced') !== undefined, 30_000);

    const client = testClient();
    const items = Array.from({ length: 150 }, (_, i) => `item-${String(i).padStart(3, '0')}`);
    await pool(items, 10, (name) => client.create(Kinds.ConfigMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns.name, labels: { work: 'true' } } }));
    const outputs = async () => (await listConfigMaps(client, ns.name)).filter((cm) => cm.metadata.labels?.['out-of']);
    await waitUntil('replica-a to write some outputs', async () => (await outputs()).length >= 10, 60_000, 50);

    // The partition: nothing moves between replica-a and the API server from here.
    const stalledAt = Date.now();
    proxy.stall();
    await waitUntil('replica-b to lead and write', () => b.first('wrote') !== undefined, 30_000, 10);
    // Heal as soon as the standby writes: whatever the old leader still had in flight would land now.
    proxy.heal();
    await waitUntil('every item to have an output', async () => {
      const done = new Set((await outputs()).map((cm) => cm.metadata.labels!['out-of']));
      return items.every((i) => done.has(i));
    }, 120_000, 200);

    // On the API server: every item has exactly one output, and everything replica-a wrote
    // landed before replica-b's first write.
    const all = (await outputs()) as ConfigMap[];
    const byItem = new Map<string, ConfigMap[]>();
    for (const cm of all) byItem.set(cm.metadata.labels!['out-of']!, [...(byItem.get(cm.metadata.labels!['out-of']!) ?? []), cm]);
    const doubled = [...byItem].filter(([, list]) => list.length > 1).map(([item, list]) => `${item}: ${list.map((cm) => cm.metadata.labels!.writer).join(' + ')}`);
    expect(doubled).toEqual([]);
    const rvs = (writer: string) => all.filter((cm) => cm.metadata.labels!.writer === writer).map((cm) => cm.metadata.resourceVersion!);
    const latestOfA = rvs('replica-a').sort((x, y) => compareResourceVersions(x, y)!).at(-1)!;
    const earliestOfB = rvs('replica-b').sort((x, y) => compareResourceVersions(x, y)!)[0]!;
    expect(compareResourceVersions(latestOfA, earliestOfB)).toBeLessThan(0);

    // The old leader lost leadership before the standby took it, and exited.
    await waitUntil('replica-a to exit', () => a.child.exitCode !== null, 10_000, 20);
    expect(a.child.exitCode).toBe(1);
    const lostAt = a.first('lost leadership');
    const acquiredAt = b.first('became leader');
    expect(lostAt, 'replica-a logged the loss').toBeDefined();
    expect(lostAt!).toBeLessThan(acquiredAt!);
    expect(a.lines.some((l) => l.msg === 'leader election lost: exiting')).toBe(true);
    // It tried no write after it lost, and none after the standby acquired.
    expect(a.last('writing') ?? 0).toBeLessThan(lostAt!);

    console.log(JSON.stringify({
      stalledToLossMs: lostAt! - stalledAt,
      lossToStandbyLeadsMs: acquiredAt! - lostAt!,
      outputsByA: rvs('replica-a').length,
      outputsByB: rvs('replica-b').length,
      bytesDroppedWithAbortedRequests: proxy.droppedBytes,
    }));
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  });
});
