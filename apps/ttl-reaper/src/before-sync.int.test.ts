/**
 * The reaper after a restart acts on a deadline that came due while it was down as soon as the
 * object streams in, before every cache has synced (at scale the first lists take seconds). Its
 * claims' first list is held back here (the informer's fault hook), so the manager cannot sync;
 * the expired Sandbox must go all the same. Against the real API server.
 */
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger, createMetricsRegistry } from '@agent-sandbox/telemetry';
import { KubeClient, Kinds, Manager } from '@agent-sandbox/runtime';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitUntil } from '@agent-sandbox/runtime/testing';
import { ClaimKind, SandboxKind, type SandboxObject } from './kinds.ts';
import { registerReaper } from './reaper.ts';

const kc = new KubeConfig();
kc.loadFromFile(inject('kubeconfig'));
const client = new KubeClient(kc);
const ns = `reaper-early-${randomBytes(3).toString('hex')}`;
const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

describe('ttl-reaper started before its caches have synced', () => {
  beforeAll(async () => {
    await client.create(Kinds.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  });
  afterAll(async () => {
    await client.delete(Kinds.Namespace, { name: ns }).catch(() => undefined);
    client.close();
  });

  it('deletes a Sandbox whose shutdownTime passed while it was down, before the claims have synced', async () => {
    const sandbox = (name: string, shutdownTime: number) =>
      client.create<SandboxObject>(SandboxKind, {
        apiVersion: 'agents.x-k8s.io/v1beta1',
        kind: 'Sandbox',
        metadata: { name, namespace: ns },
        spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'img:1' }] } }, shutdownPolicy: 'Delete', shutdownTime: rfc3339(shutdownTime) },
      });
    await sandbox('due', Date.now() - 5_000);
    await sandbox('later', Date.now() + 3_600_000);
    const manager = new Manager({
      name: 'ttl-reaper',
      client,
      log: createLogger({ program: 'ttl-reaper-test', level: 'silent' }),
      namespace: ns,
      registry: createMetricsRegistry({ defaultMetrics: false }),
    });
    const { scheduler } = registerReaper(manager, { workers: 2, actionsPerSecond: 100, actionBurst: 100 });
    const claims = manager.informer(ClaimKind);
    claims.pause();
    const started = manager.start();
    const exists = (name: string) =>
      client.get(SandboxKind, { namespace: ns, name }).then(
        () => true,
        (err: { code?: number }) => {
          if (err.code === 404) return false;
          throw err;
        },
      );
    try {
      await waitUntil('the due Sandbox deleted', async () => !(await exists('due')));
      expect(manager.ready()).toBe(false);
      expect(await exists('later')).toBe(true);
      claims.resume();
      await started;
      expect(manager.ready()).toBe(true);
      expect(await exists('later')).toBe(true);
    } finally {
      claims.resume();
      scheduler.stop();
      await manager.stop();
    }
  });
});
