import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../client/objects.ts';
import { byControllerUID, byLabel } from './indexers.ts';
import { Store } from './store.ts';
import { trimObject } from './trim.ts';

const obj = (name: string, rv: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  metadata: { name, namespace: 'ns', resourceVersion: rv, ...extra },
});

describe('Store', () => {
  it('replace reports adds, changed resourceVersions and the deletes a watch missed', () => {
    const store = new Store();
    store.replace([obj('a', '1'), obj('b', '1'), obj('c', '1')]);
    const changes = store.replace([obj('a', '1'), obj('b', '2'), obj('d', '3')]);
    expect(changes.added.map((o) => o.metadata.name)).toEqual(['d']);
    expect(changes.updated.map((u) => [u.old.metadata.resourceVersion, u.obj.metadata.resourceVersion])).toEqual([['1', '2']]);
    expect(changes.deleted.map((o) => o.metadata.name)).toEqual(['c']);
    expect(store.keys().sort()).toEqual(['ns/a', 'ns/b', 'ns/d']);
  });

  it('keeps indexes current through updates and removals', () => {
    const store = new Store();
    store.addIndexer('owner', byControllerUID);
    store.addIndexer('pool', byLabel('pool'));
    const owned = (name: string, uid: string, pool: string) =>
      obj(name, '1', { labels: { pool }, ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'o', uid, controller: true }] });
    store.upsert(owned('p1', 'u1', 'blue'));
    store.upsert(owned('p2', 'u1', 'blue'));
    store.upsert(owned('p3', 'u2', 'green'));
    expect(store.byIndex('owner', 'u1').map((o) => o.metadata.name).sort()).toEqual(['p1', 'p2']);
    store.upsert(owned('p2', 'u2', 'green'));
    expect(store.byIndex('owner', 'u1').map((o) => o.metadata.name)).toEqual(['p1']);
    expect(store.byIndex('pool', 'green').map((o) => o.metadata.name).sort()).toEqual(['p2', 'p3']);
    store.remove('ns/p1');
    expect(store.byIndex('owner', 'u1')).toEqual([]);
    expect(() => store.byIndex('missing', 'x')).toThrow(/no index/);
  });

  it('trims managedFields and the last-applied annotation', () => {
    const o = obj('a', '1', {
      managedFields: [{ manager: 'kubectl' }],
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', keep: 'yes' },
    });
    trimObject(o);
    expect(o.metadata.managedFields).toBeUndefined();
    expect(o.metadata.annotations).toEqual({ keep: 'yes' });
  });
});
