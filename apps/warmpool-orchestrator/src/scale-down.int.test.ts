/**
 * The pool controller against a real API server, scaling a pool down: its deletes go out a batch
 * at a time (`--max-create-batch`), never all at once. A pool scaled down by thousands sent
 * thousands of DELETEs together; the API server turned most away (429) and every refused one was
 * sent again, about two DELETEs per member in all.
 */
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '@agent-sandbox/telemetry';
import { KubeClient, Kinds, Manager, type ObjectRef, type ResourceKind } from '@agent-sandbox/runtime';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitUntil } from '@agent-sandbox/runtime/testing';
import { registerControllers } from './controllers.ts';
import { PoolKind, SandboxKind, TemplateKind, type SandboxObject } from './kinds.ts';

const BATCH = 3;
const REPLICAS = 12;

/** A client that counts the Sandbox deletes it has in flight at once. */
class CountingClient extends KubeClient {
  inFlight = 0;
  most = 0;
  deletes = 0;

  override async delete(kind: ResourceKind, ref: ObjectRef, options?: Parameters<KubeClient['delete']>[2]): Promise<unknown> {
    if (kind !== SandboxKind) return super.delete(kind, ref, options);
    this.deletes++;
    this.most = Math.max(this.most, ++this.inFlight);
    try {
      return await super.delete(kind, ref, options);
    } finally {
      this.inFlight--;
    }
  }
}

const kc = new KubeConfig();
kc.loadFromFile(inject('kubeconfig'));
const admin = new KubeClient(kc);
const counting = new CountingClient(kc);
const ns = `pool-down-${randomBytes(3).toString('hex')}`;

describe('warmpool-orchestrator scaling a pool down', () => {
  let manager: Manager;
  const abort = new AbortController();

  beforeAll(async () => {
    await admin.create(Kinds.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await admin.create(TemplateKind, {
      apiVersion: TemplateKind.apiVersion,
      kind: TemplateKind.kind,
      metadata: { name: 't', namespace: ns },
      spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'registry.example/runtime:1' }] } } },
    });
    manager = new Manager({ name: 'warmpool-orchestrator', client: counting, log: createLogger({ program: 'warmpool-orchestrator-test', level: 'silent' }), namespace: ns });
    registerControllers(manager, { workers: 2, readyGraceMs: 300_000, maxBatch: BATCH, expectationsTimeoutMs: 60_000 });
    await manager.start(abort.signal);
  }, 60_000);

  afterAll(async () => {
    abort.abort();
    await manager?.stop();
    await admin.delete(Kinds.Namespace, { name: ns }).catch(() => undefined);
    admin.close();
    counting.close();
  });

  const members = async () => (await admin.list<SandboxObject>(SandboxKind, { namespace: ns })).items.filter((s) => !s.metadata.deletionTimestamp);

  it(`deletes ${REPLICAS} members ${BATCH} at a time, once each`, async () => {
    await admin.create(PoolKind, {
      apiVersion: PoolKind.apiVersion,
      kind: PoolKind.kind,
      metadata: { name: 'p', namespace: ns },
      spec: { replicas: REPLICAS, sandboxTemplateRef: { name: 't' } },
    });
    await waitUntil(`${REPLICAS} members`, async () => (await members()).length === REPLICAS);
    // Each member in the controller's cache, so that one pass plans all the deletes.
    await waitUntil(`${REPLICAS} members cached`, async () => manager.informer(SandboxKind).store.list().length === REPLICAS);

    await admin.patch(PoolKind, { namespace: ns, name: 'p' }, { spec: { replicas: 0 } }, { type: 'merge', subresource: 'scale' });
    await waitUntil('no member left', async () => (await members()).length === 0);
    expect(counting.deletes).toBe(REPLICAS);
    expect(counting.most).toBeLessThanOrEqual(BATCH);
  });
});
