/**
 * The client's transport against a real API server: a credential refresh leaves connections in
 * use alone, and a watch stream decodes UTF-8 across chunk boundaries.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { Informer, Kinds, KubeClient, objectKey } from '@agent-sandbox/runtime';
import { createTestNamespace, testKubeConfig, type TestNamespace } from '@agent-sandbox/controlplane/testing';
import { configMap, memoryLogger, waitUntil, type ConfigMap } from './helpers.ts';

describe('transport', () => {
  let ns: TestNamespace;
  beforeAll(async () => {
    ns = await createTestNamespace('rt-transport');
  });
  afterAll(async () => ns?.remove());

  it('keeps a watch on one connection across many credential refreshes, and misses nothing', async () => {
    const refreshMs = 200;
    const client = new KubeClient(testKubeConfig(), { credentialsTtlMs: refreshMs });
    const { log, lines } = memoryLogger();
    const informer = new Informer<ConfigMap>({ kind: Kinds.ConfigMap, client, log, namespace: ns.name });
    const seen = new Set<string>();
    informer.addHandlers({ add: (cm) => seen.add(cm.metadata.name!) });
    informer.start();
    await informer.waitForSync();
    await waitUntil('the watch to open', () => informer.stats.watches === 1, 10_000);

    // Writes through the same client, spread over five refresh intervals: each one that comes
    // after an interval has passed reads the credentials again.
    const names = Array.from({ length: 20 }, (_, i) => `refresh-${i}`);
    const started = Date.now();
    for (const name of names) {
      await client.create(Kinds.ConfigMap, configMap(ns.name, name, { v: '1' }));
      await new Promise((r) => setTimeout(r, (refreshMs * 5) / names.length));
    }
    expect(Date.now() - started).toBeGreaterThan(2 * refreshMs);
    await waitUntil('every create seen by the watch', () => names.every((n) => seen.has(n)), 30_000);

    // One watch, never broken and reopened; one agent; and the watch is still live.
    expect(informer.stats.watches).toBe(1);
    expect(informer.stats.lists).toBe(1);
    expect(client.stats.agents).toBe(1);
    expect(lines.filter((l) => /watch (broke|failed)/.test(String(l.msg)))).toEqual([]);
    await client.create(Kinds.ConfigMap, configMap(ns.name, 'refresh-last'));
    await waitUntil('a create after the refreshes', () => seen.has('refresh-last'), 30_000);
    expect(informer.stats.watches).toBe(1);
    await informer.stop();
    client.close();
  });

  it('makes a new agent only when the TLS material changes, and lets the old one carry its watch on', async () => {
    /** A kubeconfig whose CA bundle can be re-issued (the same CA with other bytes), as a mounted file is rotated. */
    class RotatingKubeConfig extends KubeConfig {
      rotated = false;
      override async applyToHTTPSOptions(opts: Parameters<KubeConfig['applyToHTTPSOptions']>[0]): Promise<void> {
        await super.applyToHTTPSOptions(opts);
        if (this.rotated && opts.ca) opts.ca = Buffer.concat([Buffer.from(opts.ca as Buffer), Buffer.from('\n')]);
      }
    }
    const kc = new RotatingKubeConfig();
    kc.loadFromFile(inject('kubeconfig'));
    const client = new KubeClient(kc, { credentialsTtlMs: 100 });
    const { log } = memoryLogger();
    const informer = new Informer<ConfigMap>({ kind: Kinds.ConfigMap, client, log, namespace: ns.name, labelSelector: 'rotate-test=true' });
    const seen = new Set<string>();
    informer.addHandlers({ add: (cm) => seen.add(cm.metadata.name!) });
    informer.start();
    await informer.waitForSync();
    await waitUntil('the watch to open', () => informer.stats.watches === 1, 10_000);

    const labelled = (name: string) => ({ ...configMap(ns.name, name), metadata: { ...configMap(ns.name, name).metadata, labels: { 'rotate-test': 'true' } } });
    await client.create(Kinds.ConfigMap, labelled('before-rotation'));
    kc.rotated = true;
    await new Promise((r) => setTimeout(r, 150)); // past the refresh interval, so the next request reads the new bundle
    await client.create(Kinds.ConfigMap, labelled('after-rotation'));
    expect(client.stats.agents).toBe(2);
    await waitUntil('both creates seen by the watch opened before the rotation', () => seen.has('before-rotation') && seen.has('after-rotation'), 30_000);
    expect(informer.stats.watches).toBe(1);

    // Refreshes with the same (rotated) material keep the new agent.
    await new Promise((r) => setTimeout(r, 150));
    await client.get(Kinds.ConfigMap, { namespace: ns.name, name: 'after-rotation' });
    expect(client.stats.agents).toBe(2);
    await informer.stop();
    client.close();
  });

  it('delivers non-ASCII values of many lengths byte for byte, however the stream is chunked', async () => {
    const client = new KubeClient(testKubeConfig());
    const { log } = memoryLogger();
    const informer = new Informer<ConfigMap>({ kind: Kinds.ConfigMap, client, log, namespace: ns.name, labelSelector: 'utf8-test=true' });
    informer.start();
    await informer.waitForSync();

    // 2-, 3- and 4-byte characters in values long enough to span several TLS records and
    // stream chunks, at lengths that move every chunk boundary to a new offset.
    const alphabets = ['é', '日本語', '😀🎉', 'aé日😀'];
    const objects: ConfigMap[] = [];
    for (let i = 0; i < 48; i++) {
      const text = alphabets[i % alphabets.length]!.repeat(3_000 + i * 997);
      const cm = configMap(ns.name, `utf8-${i}`, { text, short: `ü${'ß'.repeat(i)}` });
      cm.metadata.labels = { 'utf8-test': 'true' };
      objects.push(cm);
    }
    for (const cm of objects) await client.create(Kinds.ConfigMap, cm);
    await waitUntil('every object in the cache', () => objects.every((cm) => informer.store.get(objectKey(cm))), 60_000);

    for (const cm of objects) {
      const fromGet = await client.get<ConfigMap>(Kinds.ConfigMap, { namespace: ns.name, name: cm.metadata.name! });
      const cached = informer.store.get(objectKey(cm))!;
      expect(cached.metadata.resourceVersion).toBe(fromGet.metadata.resourceVersion);
      expect(Buffer.from(JSON.stringify(cached.data)).equals(Buffer.from(JSON.stringify(fromGet.data))), `ConfigMap ${cm.metadata.name}`).toBe(true);
      expect(cached.data).toEqual(cm.data);
    }
    await informer.stop();
    client.close();
  });
});
