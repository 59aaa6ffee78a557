import { describe, expect, it } from 'vitest';
import { Informer } from '../cache/informer.ts';
import { kindId, Kinds, type ResourceKind } from '../client/kinds.ts';
import type { KubeObject, OwnerReference } from '../client/objects.ts';
import { FakeClock } from '../time/fake-clock.ts';
import { memoryLog } from '../testing/memory-log.ts';
import { ScriptedSource, settle, type WatchSession } from '../testing/scripted-source.ts';
import { ControllerBuilder, type ControllerHost } from './builder.ts';
import type { Controller } from './controller.ts';
import { generationChanged } from './predicates.ts';

const Parent: ResourceKind = { group: 'example.com', version: 'v1', kind: 'Parent', plural: 'parents', namespaced: true };
const Other: ResourceKind = { group: 'example.com', version: 'v1', kind: 'Other', plural: 'others', namespaced: true };

const owner = (kind: string, name: string, apiVersion = 'example.com/v1'): OwnerReference => ({ apiVersion, kind, name, uid: `uid-${name}`, controller: true });

const obj = (kind: string, name: string, rv: string, extra: { owners?: OwnerReference[]; labels?: Record<string, string>; generation?: number } = {}): KubeObject => ({
  apiVersion: kind === 'Pod' ? 'v1' : 'example.com/v1',
  kind,
  metadata: { namespace: 'ns', name, uid: `uid-${name}`, resourceVersion: rv, ownerReferences: extra.owners, labels: extra.labels, generation: extra.generation },
});

/** A host whose informers read scripted streams and whose one controller records what is enqueued. */
async function host(wrote?: (kind: ResourceKind, obj: KubeObject) => boolean, settling?: (kind: ResourceKind, obj: KubeObject) => Promise<void> | undefined) {
  const { log } = memoryLog('silent');
  const clock = new FakeClock();
  const sources = new Map<string, ScriptedSource<KubeObject>>();
  const informers = new Map<string, Informer>();
  const enqueued: string[] = [];
  const h: ControllerHost = {
    informer<T extends KubeObject>(kind: ResourceKind): Informer<T> {
      let informer = informers.get(kindId(kind));
      if (!informer) {
        const source = new ScriptedSource<KubeObject>();
        sources.set(kindId(kind), source);
        informer = new Informer({ kind, listerWatcher: source, log, clock });
        informers.set(kindId(kind), informer);
      }
      return informer as unknown as Informer<T>;
    },
    register: () => ({ enqueue: (key: string) => enqueued.push(key) }) as unknown as Controller,
    ...(wrote ? { wrote } : {}),
    ...(settling ? { settling } : {}),
  };
  /** Starts every informer with an empty list and returns each kind's open watch. */
  const start = async (): Promise<Map<string, WatchSession<KubeObject>>> => {
    const watches = new Map<string, WatchSession<KubeObject>>();
    for (const [id, informer] of informers) {
      sources.get(id)!.answerList([], '1');
      informer.start();
      await informer.waitForSync();
      watches.set(id, await sources.get(id)!.watchNumber(0));
    }
    return watches;
  };
  const stop = () => Promise.all([...informers.values()].map((i) => i.stop()));
  return { h, start, stop, enqueued };
}

describe('ControllerBuilder', () => {
  it('for(): enqueues the object\'s own key, through its predicates', async () => {
    const { h, start, stop, enqueued } = await host();
    new ControllerBuilder(h, 'parents').for(Parent, { predicates: [generationChanged] }).complete(async () => {});
    const watch = (await start()).get(kindId(Parent))!;
    watch.send('ADDED', obj('Parent', 'p', '2', { generation: 1 }));
    watch.send('MODIFIED', obj('Parent', 'p', '3', { generation: 1 })); // status only: filtered
    watch.send('MODIFIED', obj('Parent', 'p', '4', { generation: 2 }));
    watch.send('DELETED', obj('Parent', 'p', '5', { generation: 2 }));
    expect(enqueued).toEqual(['ns/p', 'ns/p', 'ns/p']);
    await stop();
  });

  it('owns(): enqueues the controlling owner of the reconciled kind, whatever its version, and nothing for others', async () => {
    const { h, start, stop, enqueued } = await host();
    new ControllerBuilder(h, 'parents').for(Parent).owns(Kinds.Pod).complete(async () => {});
    const watches = await start();
    enqueued.length = 0;
    const pods = watches.get(kindId(Kinds.Pod))!;
    pods.send('ADDED', obj('Pod', 'a', '2', { owners: [owner('Parent', 'p1')] }));
    pods.send('ADDED', obj('Pod', 'b', '3', { owners: [owner('Parent', 'p2', 'example.com/v2')] }));
    pods.send('ADDED', obj('Pod', 'c', '4', { owners: [owner('Other', 'o1')] }));
    pods.send('ADDED', obj('Pod', 'd', '5', { owners: [{ ...owner('Parent', 'p3'), controller: false }] }));
    pods.send('ADDED', obj('Pod', 'e', '6', { owners: [owner('Parent', 'p4', 'other.io/v1')] }));
    pods.send('DELETED', obj('Pod', 'a', '7', { owners: [owner('Parent', 'p1')] }));
    expect(enqueued).toEqual(['ns/p1', 'ns/p2', 'ns/p1']);
    await stop();
  });

  it('owns(): an update that moves the controller reference enqueues the old owner and the new one', async () => {
    const { h, start, stop, enqueued } = await host();
    new ControllerBuilder(h, 'parents').for(Parent).owns(Kinds.Pod).complete(async () => {});
    const pods = (await start()).get(kindId(Kinds.Pod))!;
    pods.send('ADDED', obj('Pod', 'a', '2', { owners: [owner('Parent', 'before')] }));
    enqueued.length = 0;
    pods.send('MODIFIED', obj('Pod', 'a', '3', { owners: [owner('Parent', 'after')] }));
    expect(enqueued.sort()).toEqual(['ns/after', 'ns/before']);
    // Taken away from a Parent altogether: the former owner still hears of it.
    enqueued.length = 0;
    pods.send('MODIFIED', obj('Pod', 'a', '4', { owners: [owner('Other', 'o')] }));
    expect(enqueued).toEqual(['ns/after']);
    await stop();
  });

  it('watches(): an update enqueues what the old version mapped to as well as the new', async () => {
    const { h, start, stop, enqueued } = await host();
    new ControllerBuilder(h, 'parents')
      .for(Parent)
      .watches(Other, (o) => (o.metadata.labels?.parent ? [`ns/${o.metadata.labels.parent}`] : []))
      .complete(async () => {});
    const others = (await start()).get(kindId(Other))!;
    others.send('ADDED', obj('Other', 'x', '2', { labels: { parent: 'one' } }));
    others.send('MODIFIED', obj('Other', 'x', '3', { labels: { parent: 'two' } }));
    others.send('MODIFIED', obj('Other', 'x', '4'));
    expect(enqueued).toEqual(['ns/one', 'ns/two', 'ns/one', 'ns/two']);
    await settle();
    await stop();
  });

  it('for(): drops an update that only brings back this process\'s own last write, and nothing else', async () => {
    const own = new Set(['ns/p@3', 'ns/child@4']);
    const { h, start, stop, enqueued } = await host((_kind, o) => own.has(`ns/${o.metadata.name}@${o.metadata.resourceVersion}`));
    new ControllerBuilder(h, 'parents').for(Parent).owns(Kinds.Pod).complete(async () => {});
    const watches = await start();
    const parents = watches.get(kindId(Parent))!;
    parents.send('ADDED', obj('Parent', 'p', '2'));
    parents.send('MODIFIED', obj('Parent', 'p', '3')); // our own write: dropped
    parents.send('MODIFIED', obj('Parent', 'p', '5')); // someone else's: enqueued
    // A child's event is about the child: it still reaches its owner.
    watches.get(kindId(Kinds.Pod))!.send('MODIFIED', obj('Pod', 'child', '4', { owners: [owner('Parent', 'p')] }));
    expect(enqueued).toEqual(['ns/p', 'ns/p', 'ns/p']);
    await stop();
  });

  it('for(): holds an update that comes while a write of the object is in flight, then judges it once answered', async () => {
    const own = new Set<string>();
    let answered: (() => void) | undefined;
    let inFlight: Promise<void> | undefined;
    const { h, start, stop, enqueued } = await host(
      (_kind, o) => own.has(`ns/${o.metadata.name}@${o.metadata.resourceVersion}`),
      () => inFlight,
    );
    new ControllerBuilder(h, 'parents').for(Parent).complete(async () => {});
    const parents = (await start()).get(kindId(Parent))!;
    parents.send('ADDED', obj('Parent', 'p', '2'));
    // Our write's event comes before its answer: held, then dropped once the answer says it was ours.
    inFlight = new Promise<void>((resolve) => (answered = resolve));
    parents.send('MODIFIED', obj('Parent', 'p', '3'));
    expect(enqueued).toEqual(['ns/p']);
    own.add('ns/p@3');
    inFlight = undefined;
    answered!();
    await settle();
    expect(enqueued).toEqual(['ns/p']);
    // Someone else's write lands while ours is in flight: held, then enqueued.
    inFlight = new Promise<void>((resolve) => (answered = resolve));
    parents.send('MODIFIED', obj('Parent', 'p', '4'));
    expect(enqueued).toEqual(['ns/p']);
    inFlight = undefined;
    answered!();
    await settle();
    expect(enqueued).toEqual(['ns/p', 'ns/p']);
    await stop();
  });

  it('refuses complete() without for(), and a second for()', async () => {
    const { h } = await host();
    expect(() => new ControllerBuilder(h, 'x').owns(Kinds.Pod).complete(async () => {})).toThrow(/call for\(kind\) before complete/);
    expect(() => new ControllerBuilder(h, 'x').for(Parent).for(Other)).toThrow(/for\(\) already called/);
  });
});
