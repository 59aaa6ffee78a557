/**
 * The reaper against a real API server, with its watch paused (the informer's fault hook) so
 * its cache lags: a deadline that the cache shows as past, but that was moved later or removed
 * on the server, is never acted on. Under load a watch can lag a user's `shutdownTime` extension by seconds; deleting
 * on the cached version would destroy a sandbox its user had just asked to keep.
 */
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '@agent-sandbox/telemetry';
import { KubeClient, Kinds, Manager } from '@agent-sandbox/runtime';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { consistently, waitUntil } from '@agent-sandbox/runtime/testing';
import { ClaimKind, SandboxKind, type ClaimObject, type SandboxObject } from './kinds.ts';
import { registerReaper } from './reaper.ts';

const kc = new KubeConfig();
kc.loadFromFile(inject('kubeconfig'));
const client = new KubeClient(kc);
const ns = `reaper-stale-${randomBytes(3).toString('hex')}`;
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
const aSecondAgo = () => new Date(Date.now() - 1_000).toISOString().replace(/\.\d+Z$/, 'Z');

describe('ttl-reaper with a cache that lags the API server', () => {
  let manager: Manager;
  let stopScheduler: () => void;
  const abort = new AbortController();

  beforeAll(async () => {
    await client.create(Kinds.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    manager = new Manager({ name: 'ttl-reaper', client, log: createLogger({ program: 'ttl-reaper-test', level: 'silent' }), namespace: ns });
    const { scheduler } = registerReaper(manager, { workers: 2, actionsPerSecond: 100, actionBurst: 100 });
    stopScheduler = () => scheduler.stop();
    await manager.start(abort.signal);
  }, 60_000);

  afterAll(async () => {
    stopScheduler?.();
    await manager?.stop();
    await client.delete(Kinds.Namespace, { name: ns }).catch(() => undefined);
    client.close();
  });

  /** Whether the object exists: true, false on 404, and any other error fails the test. */
  const exists = (kind: typeof SandboxKind | typeof ClaimKind, name: string) =>
    client.get(kind, { namespace: ns, name }).then(
      () => true,
      (err: { code?: number }) => {
        if (err.code === 404) return false;
        throw err;
      },
    );

  const waitCached = (kind: typeof SandboxKind | typeof ClaimKind, name: string) => waitUntil(`${name} in the reaper's cache`, () => !!manager.informer(kind).store.get(`${ns}/${name}`));

  /** Deadlines a moment away: due in the cache before the watch (paused) can bring the change. */
  const soon = () => new Date(Date.now() + 2_000).toISOString().replace(/\.\d+Z$/, 'Z');

  it('keeps a Sandbox whose shutdownTime was moved later or removed while its watch lagged', async () => {
    const make = (name: string) =>
      client.create<SandboxObject>(SandboxKind, {
        apiVersion: 'agents.x-k8s.io/v1beta1',
        kind: 'Sandbox',
        metadata: { name, namespace: ns },
        spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'img:1' }] } }, shutdownPolicy: 'Delete', shutdownTime: soon() },
      });
    await Promise.all([make('extended'), make('unset')]);
    await Promise.all([waitCached(SandboxKind, 'extended'), waitCached(SandboxKind, 'unset')]);
    const informer = manager.informer(SandboxKind);
    informer.pause();
    try {
      await client.patch(SandboxKind, { namespace: ns, name: 'extended' }, { spec: { shutdownTime: inAnHour() } }, { type: 'merge' });
      await client.patch(SandboxKind, { namespace: ns, name: 'unset' }, { spec: { shutdownTime: null } }, { type: 'merge' });
      // Throughout, and past the deadline the cache still shows.
      await consistently('both sandboxes kept', async () => (await exists(SandboxKind, 'extended')) && (await exists(SandboxKind, 'unset')), 3_500);
    } finally {
      informer.resume();
    }

    // The control: a deadline past on the server too is acted on at once.
    await client.patch(SandboxKind, { namespace: ns, name: 'extended' }, { spec: { shutdownTime: aSecondAgo() } }, { type: 'merge' });
    await waitUntil('the sandbox past its deadline deleted', async () => !(await exists(SandboxKind, 'extended')));
  });

  it('deletes the Sandbox of a retained claim that expires, though its cache has not yet seen the claim take it', async () => {
    // A member the reaper's cache knows unowned; then, with the reaper's Sandbox watch lagging,
    // a claim takes it (as the claim-controller's adoption does) and expires.
    const member = await client.create<SandboxObject>(SandboxKind, {
      apiVersion: 'agents.x-k8s.io/v1beta1',
      kind: 'Sandbox',
      metadata: { name: 'taken-late', namespace: ns },
      spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'img:1' }] } } },
    });
    await waitCached(SandboxKind, 'taken-late');
    const claim = await client.create<ClaimObject>(ClaimKind, {
      apiVersion: 'extensions.agents.x-k8s.io/v1beta1',
      kind: 'SandboxClaim',
      metadata: { name: 'expires-late', namespace: ns },
      spec: { warmPoolRef: { name: 'none' }, lifecycle: { shutdownTime: soon(), shutdownPolicy: 'Retain' } },
    });
    const sandboxes = manager.informer(SandboxKind);
    sandboxes.pause();
    try {
      const owner = { apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxClaim', name: 'expires-late', uid: claim.metadata.uid!, controller: true, blockOwnerDeletion: true };
      await client.patch(SandboxKind, { namespace: ns, name: 'taken-late' }, { metadata: { resourceVersion: member.metadata.resourceVersion, ownerReferences: [owner] } }, { type: 'merge' });
      await client.patch(ClaimKind, { namespace: ns, name: 'expires-late' }, { status: { sandbox: { name: 'taken-late' } } }, { type: 'merge', subresource: 'status' });
      await waitUntil('the claim expired and its Sandbox deleted, the Sandbox watch still paused', async () => !(await exists(SandboxKind, 'taken-late')), 15_000);
    } finally {
      sandboxes.resume();
    }
  });

  it('keeps a claim whose shutdownTime was moved later while its watch lagged', async () => {
    await client.create<ClaimObject>(ClaimKind, {
      apiVersion: 'extensions.agents.x-k8s.io/v1beta1',
      kind: 'SandboxClaim',
      metadata: { name: 'extended-claim', namespace: ns },
      spec: { warmPoolRef: { name: 'none' }, lifecycle: { shutdownTime: soon(), shutdownPolicy: 'Delete' } },
    });
    await waitCached(ClaimKind, 'extended-claim');
    const informer = manager.informer(ClaimKind);
    informer.pause();
    try {
      await client.patch(ClaimKind, { namespace: ns, name: 'extended-claim' }, { spec: { lifecycle: { shutdownTime: inAnHour() } } }, { type: 'merge' });
      await consistently('the claim kept', () => exists(ClaimKind, 'extended-claim'), 3_500);
    } finally {
      informer.resume();
    }
  });
});
