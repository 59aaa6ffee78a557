/** The typed client for the four kinds against a real API server. */
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Sandbox } from '@agent-sandbox/api';
import { isConflict, isNotFound, type WatchEvent } from '@agent-sandbox/api/client';
import { consistently, waitFor } from '@agent-sandbox/controlplane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiSuite, claim, expectRejected, FIELD_MANAGER, sandbox, template, warmPool, type ApiSuite } from './support.ts';

const write = { fieldManager: FIELD_MANAGER };
let suite: ApiSuite;
let ns: string;
beforeAll(async () => {
  suite = await apiSuite('api-client');
  ns = suite.ns.name;
});
afterAll(async () => {
  await suite?.ns.remove();
});

describe('typed client', () => {
  it('gets, and reports a missing object as NotFound', async () => {
    await suite.clients.templates.create(template(ns, 'tpl'), write);
    const got = await suite.clients.templates.get(ns, 'tpl');
    expect(got.kind).toBe('SandboxTemplate');
    expect(got.metadata.uid).toBeTruthy();
    const err = await suite.clients.templates.get(ns, 'nope').catch((e: unknown) => e);
    expect(isNotFound(err)).toBe(true);
  });

  it('lists by label selector, page by page', async () => {
    for (const name of ['l1', 'l2', 'l3']) {
      const s = sandbox(ns, name);
      s.metadata.labels = { suite: 'list' };
      await suite.clients.sandboxes.create(s, write);
    }
    await suite.clients.sandboxes.create(sandbox(ns, 'unlabelled'), write);
    const page = await suite.clients.sandboxes.list(ns, { labelSelector: 'suite=list', limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.metadata.continue).toBeTruthy();
    const all = await suite.clients.sandboxes.listAll(ns, { labelSelector: 'suite=list', limit: 1 });
    expect(all.items.map((s) => s.metadata.name).sort()).toEqual(['l1', 'l2', 'l3']);
    expect(all.resourceVersion).toMatch(/^\d+$/);
    const everywhere = await suite.clients.sandboxes.list(undefined, { labelSelector: 'suite=list' });
    expect(everywhere.items.every((s) => s.metadata.namespace === ns)).toBe(true);
    expect(everywhere.items).toHaveLength(3);
  });

  it('watches from a resourceVersion and stops on abort', async () => {
    const { resourceVersion } = await suite.clients.claims.listAll(ns);
    const abort = new AbortController();
    const seen: WatchEvent<unknown>[] = [];
    const watching = (async () => {
      for await (const event of suite.clients.claims.watch(ns, { resourceVersion, signal: abort.signal, allowWatchBookmarks: true })) {
        if (event.type === 'BOOKMARK') continue;
        seen.push(event);
        if (event.type === 'DELETED') abort.abort();
      }
    })();
    await suite.clients.claims.create(claim(ns, 'watched'), write);
    await suite.clients.claims.mergePatch(ns, 'watched', { metadata: { labels: { touched: 'yes' } } }, write);
    await suite.clients.claims.delete(ns, 'watched');
    await watching;
    expect(seen.map((e) => `${e.type} ${(e.object as Sandbox).metadata.name}`)).toEqual(['ADDED watched', 'MODIFIED watched', 'DELETED watched']);
  });

  it('ends a watch the server refuses with an error instead of silently', async () => {
    const events = suite.clients.sandboxes.watch(ns, { resourceVersion: 'not-a-version' });
    const drain = async () => {
      for await (const _ of events) {
        // nothing arrives
      }
    };
    // The API server's own refusal (it answers an unparsable resourceVersion with 500), not
    // just any failure.
    await expect(drain()).rejects.toThrow(/^Internal Server Error$/);
  });

  it('merge-patches with a resourceVersion precondition', async () => {
    const created = await suite.clients.sandboxes.create(sandbox(ns, 'locked'), write);
    const patched = await suite.clients.sandboxes.mergePatch(ns, 'locked', { spec: { operatingMode: 'Suspended' } }, {
      ...write,
      resourceVersion: created.metadata.resourceVersion!,
    });
    expect(patched.spec.operatingMode).toBe('Suspended');
    const stale = await suite.clients.sandboxes
      .mergePatch(ns, 'locked', { spec: { operatingMode: 'Running' } }, { ...write, resourceVersion: created.metadata.resourceVersion! })
      .catch((e: unknown) => e);
    expect(isConflict(stale)).toBe(true);
    expect((await suite.clients.sandboxes.get(ns, 'locked')).spec.operatingMode).toBe('Suspended');
  });

  it('applies server-side under a field manager, with conflicts unless forced', async () => {
    const applied = await suite.clients.warmPools.apply(
      { metadata: { name: 'applied', namespace: ns }, spec: { sandboxTemplateRef: { name: 'tpl' }, replicas: 2 } },
      { fieldManager: 'manager-a' },
    );
    expect(applied.spec.replicas).toBe(2);
    expect(applied.metadata.managedFields?.some((f) => (f as { manager: string }).manager === 'manager-a')).toBe(true);
    await expectRejected(
      suite.clients.warmPools.apply({ metadata: { name: 'applied', namespace: ns }, spec: { replicas: 3 } }, { fieldManager: 'manager-b' }),
      409,
      'conflict',
    );
    const forced = await suite.clients.warmPools.apply(
      { metadata: { name: 'applied', namespace: ns }, spec: { replicas: 3 } },
      { fieldManager: 'manager-b', force: true },
    );
    expect(forced.spec.replicas).toBe(3);
  });

  it('writes status only through the status subresource', async () => {
    await suite.clients.sandboxes.create(sandbox(ns, 'status'), write);
    const condition = {
      type: 'Ready',
      status: 'False' as const,
      reason: 'DependenciesNotReady',
      message: 'Pod does not exist',
      lastTransitionTime: '2026-01-01T00:00:00Z',
      observedGeneration: 1,
    };
    const applied = await suite.clients.sandboxes.applyStatus(
      { metadata: { name: 'status', namespace: ns }, status: { conditions: [condition], selector: 'agents.x-k8s.io/sandbox-name-hash=0000' } },
      { fieldManager: 'sandbox-controller', force: true },
    );
    expect(applied.status?.conditions).toEqual([condition]);
    // A second manager owns a second condition: the list is a map keyed by type.
    await suite.clients.sandboxes.applyStatus(
      {
        metadata: { name: 'status', namespace: ns },
        status: { conditions: [{ ...condition, type: 'Suspended', reason: 'NotSuspended', message: 'Sandbox is not suspended' }] },
      },
      { fieldManager: 'another-manager', force: true },
    );
    const both = await suite.clients.sandboxes.getStatus(ns, 'status');
    expect(both.status?.conditions?.map((c) => c.type).sort()).toEqual(['Ready', 'Suspended']);
    // Status patches leave spec alone; spec patches leave status alone.
    await suite.clients.sandboxes.mergePatchStatus(ns, 'status', { spec: { operatingMode: 'Suspended' }, status: { nodeName: 'n1' } }, write);
    const after = await suite.clients.sandboxes.get(ns, 'status');
    expect(after.spec.operatingMode).toBe('Running');
    expect(after.status?.nodeName).toBe('n1');
    await suite.clients.sandboxes.mergePatch(ns, 'status', { status: { nodeName: 'n2' } }, write);
    expect((await suite.clients.sandboxes.get(ns, 'status')).status?.nodeName).toBe('n1');
  });

  it('refuses a condition without its required fields', async () => {
    await suite.clients.claims.create(claim(ns, 'bad-condition'), write);
    await expectRejected(
      suite.clients.claims.mergePatchStatus(ns, 'bad-condition', { status: { conditions: [{ type: 'Ready', status: 'Maybe' }] } }, write),
      422,
      'status.conditions[0].status',
    );
  });

  it('reads and writes the warm pool\'s scale subresource', async () => {
    await suite.clients.warmPools.create(warmPool(ns, 'scaled', { replicas: 2 }), write);
    await suite.clients.warmPools.mergePatchStatus(ns, 'scaled', { status: { replicas: 2, selector: 'agents.x-k8s.io/warm-pool-sandbox=abcd1234' } }, write);
    const scale = await suite.clients.warmPools.getScale(ns, 'scaled');
    expect(scale.spec.replicas).toBe(2);
    expect(scale.status).toEqual({ replicas: 2, selector: 'agents.x-k8s.io/warm-pool-sandbox=abcd1234' });
    const scaled = await suite.clients.warmPools.patchScale(ns, 'scaled', 4, write);
    expect(scaled.spec.replicas).toBe(4);
    expect((await suite.clients.warmPools.get(ns, 'scaled')).spec.replicas).toBe(4);
  });

  it('deletes with preconditions and a propagation policy', async () => {
    const created = await suite.clients.claims.create(claim(ns, 'doomed'), write);
    await expectRejected(suite.clients.claims.delete(ns, 'doomed', { preconditions: { uid: 'not-the-uid' } }), 409, 'does not match the UID');
    // A dependent that blocks its owner's deletion and cannot go yet (a finalizer holds it).
    const core = suite.kc.makeApiClient(CoreV1Api);
    const dependent = await core.createNamespacedConfigMap({
      namespace: ns,
      body: {
        metadata: {
          name: 'doomed-dependent',
          finalizers: ['agent-sandbox.test/hold'],
          ownerReferences: [{ apiVersion: created.apiVersion, kind: created.kind, name: 'doomed', uid: created.metadata.uid!, blockOwnerDeletion: true }],
        },
      },
    });
    await suite.clients.claims.delete(ns, 'doomed', {
      propagationPolicy: 'Foreground',
      preconditions: { uid: created.metadata.uid!, resourceVersion: created.metadata.resourceVersion! },
    });
    // Foreground: the claim stays, marked, until the garbage collector has removed its dependents.
    const marked = await suite.clients.claims.get(ns, 'doomed');
    expect(marked.metadata.deletionTimestamp).toBeTruthy();
    expect(marked.metadata.finalizers).toContain('foregroundDeletion');
    await consistently('the claim held while its dependent stays', async () => !!(await suite.clients.claims.get(ns, 'doomed')).metadata.deletionTimestamp, 1_000);
    // Release the dependent: the garbage collector deletes it, then the claim.
    await core.patchNamespacedConfigMap(
      { name: dependent.metadata!.name!, namespace: ns, body: [{ op: 'remove', path: '/metadata/finalizers' }] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    await waitFor('the claim to be gone after its dependent', () => suite.clients.claims.get(ns, 'doomed').then(() => false, (e: unknown) => isNotFound(e)), 30_000);

    await suite.clients.claims.create(claim(ns, 'gone'), write);
    await suite.clients.claims.delete(ns, 'gone', { propagationPolicy: 'Background' });
    expect(await suite.clients.claims.get(ns, 'gone').then(() => false, (e: unknown) => isNotFound(e))).toBe(true);
  });
});
