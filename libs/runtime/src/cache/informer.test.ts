import { describe, expect, it } from 'vitest';
import { ApiError } from '../client/api-error.ts';
import { Kinds } from '../client/kinds.ts';
import type { KubeObject } from '../client/objects.ts';
import { FakeClock } from '../time/fake-clock.ts';
import { memoryLog } from '../testing/memory-log.ts';
import { ScriptedSource, settle } from '../testing/scripted-source.ts';
import { Informer } from './informer.ts';

const cm = (name: string, rv: string, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace: 'ns', name, uid: `uid-${name}`, resourceVersion: rv },
  data,
});

function setUp(options: { watchdogMs?: number; initialBackoffMs?: number; maxBackoffMs?: number; streamingList?: boolean } = {}) {
  const clock = new FakeClock();
  const source = new ScriptedSource<KubeObject>();
  const { log, lines } = memoryLog();
  const informer = new Informer({ kind: Kinds.ConfigMap, listerWatcher: source, log, clock, initialBackoffMs: 100, maxBackoffMs: 400, ...options });
  const events: string[] = [];
  informer.addHandlers({
    add: (o) => events.push(`add ${o.metadata.name}@${o.metadata.resourceVersion}`),
    update: (old, o) => events.push(`update ${o.metadata.name}@${old.metadata.resourceVersion}->${o.metadata.resourceVersion}`),
    delete: (o, info) => events.push(`delete ${o.metadata.name}${info.finalStateUnknown ? ' (final state unknown)' : ''}`),
  });
  return { clock, source, informer, events, lines };
}

describe('Informer against a scripted list and watch', () => {
  it('lists, syncs, then watches from the list\'s resourceVersion; events reach the store and the handlers in order', async () => {
    const { source, informer, events } = setUp();
    source.answerList([cm('a', '10'), cm('b', '11')], '12');
    informer.start();
    expect(await informer.waitForSync()).toBe(true);
    const watch = await source.watchNumber(0);
    expect(watch.options.resourceVersion).toBe('12');
    expect(events).toEqual(['add a@10', 'add b@11']);

    watch.send('ADDED', cm('c', '13'));
    watch.send('MODIFIED', cm('a', '14', { k: 'v' }));
    watch.send('DELETED', cm('b', '15'));
    expect(events.slice(2)).toEqual(['add c@13', 'update a@10->14', 'delete b']);
    expect(informer.store.keys().sort()).toEqual(['ns/a', 'ns/c']);
    expect(informer.store.get('ns/a')?.data).toEqual({ k: 'v' });
    expect(informer.lastResourceVersion).toBe('15');
    await informer.stop();
  });

  it('shows a handler added after the sync every cached object as an add', async () => {
    const { source, informer } = setUp();
    source.answerList([cm('a', '1'), cm('b', '2')], '3');
    informer.start();
    await informer.waitForSync();
    const late: string[] = [];
    informer.addHandlers({ add: (o) => late.push(o.metadata.name!) });
    expect(late.sort()).toEqual(['a', 'b']);
    await informer.stop();
  });

  it('moves the resume point on a bookmark, and resumes a watch that broke after events at once from there', async () => {
    const { source, informer, events, clock } = setUp();
    source.answerList([], '5');
    informer.start();
    const first = await source.watchNumber(0);
    first.send('ADDED', cm('a', '6'));
    first.send('BOOKMARK', { metadata: { resourceVersion: '9' } } as KubeObject);
    expect(events).toEqual(['add a@6']);
    first.fail(new ApiError(0, 'ECONNRESET', 'reset'));
    // No backoff: the next watch opens without the clock moving, from the bookmark.
    const second = await source.watchNumber(1);
    expect(second.options.resourceVersion).toBe('9');
    expect(source.listCalls).toHaveLength(1);
    expect(clock.monotonic()).toBe(0);
    await informer.stop();
  });

  it('relists on 410 Gone and delivers the difference, the missed deletes marked final-state-unknown', async () => {
    const { source, informer, events } = setUp();
    source.answerList([cm('a', '1'), cm('b', '2'), cm('c', '3')], '3');
    informer.start();
    const watch = await source.watchNumber(0);
    source.answerList([cm('a', '1'), cm('b', '7'), cm('d', '8')], '9');
    watch.send('ERROR', { code: 410, reason: 'Expired', message: 'too old resource version' } as unknown as KubeObject);
    const next = await source.watchNumber(1);
    expect(next.options.resourceVersion).toBe('9');
    expect(informer.stats.expired).toBe(1);
    expect(informer.stats.lists).toBe(2);
    expect(events.slice(3)).toEqual(['add d@8', 'update b@2->7', 'delete c (final state unknown)']);
    expect(informer.store.keys().sort()).toEqual(['ns/a', 'ns/b', 'ns/d']);
    await informer.stop();
  });

  it('backs off on the clock after failures with no progress, doubling up to the maximum', async () => {
    const { source, informer, clock, lines } = setUp({ initialBackoffMs: 100, maxBackoffMs: 400 });
    source.failList(new ApiError(503, 'ServiceUnavailable', 'down'));
    informer.start();
    await settle();
    expect(source.listCalls).toHaveLength(1);
    // Jitter puts the first retry in [100, 150) ms.
    clock.advance(99);
    await settle();
    expect(source.listCalls).toHaveLength(1);
    source.answerList([], '1');
    clock.advance(51);
    await informer.waitForSync();
    expect(source.listCalls).toHaveLength(2);
    expect(lines.some((l) => l.msg === 'list failed' && l.retryInMs === 100)).toBe(true);

    // Watches failing without an event back off 100, 200, 400, 400 (each within its jitter).
    const retries: number[] = [];
    for (let n = 0; n < 4; n++) {
      const watch = await source.watchNumber(n);
      const at = clock.monotonic();
      watch.fail(new ApiError(500, 'InternalError', 'boom'));
      await settle();
      for (let step = 0; source.watches.length === n + 1 && step < 1_000; step++) {
        clock.advance(5);
        await settle(2);
      }
      retries.push(clock.monotonic() - at);
    }
    expect(retries[0]).toBeGreaterThanOrEqual(100);
    expect(retries[0]).toBeLessThan(155);
    expect(retries[1]).toBeGreaterThanOrEqual(200);
    expect(retries[1]).toBeLessThan(305);
    expect(retries[2]).toBeGreaterThanOrEqual(400);
    expect(retries[3]).toBeGreaterThanOrEqual(400);
    expect(retries[3]).toBeLessThan(605);
    await informer.stop();
  });

  it('reopens a stream silent for the watchdog period, and not one that keeps talking', async () => {
    const { source, informer, clock } = setUp({ watchdogMs: 1_000 });
    source.answerList([], '1');
    informer.start();
    const watch = await source.watchNumber(0);
    for (let i = 0; i < 5; i++) {
      clock.advance(900);
      watch.heartbeat();
      await settle();
    }
    expect(watch.open).toBe(true);
    expect(informer.stats.watchdogFired).toBe(0);
    clock.advance(1_000);
    await settle();
    expect(watch.open).toBe(false);
    expect(informer.stats.watchdogFired).toBe(1);
    // A watch closed by the watchdog is not a failure: the next opens from where it was.
    const next = await source.watchNumber(1);
    expect(next.options.resourceVersion).toBe('1');
    await informer.stop();
  });

  it('asks again only after a backoff when the server ends every watch at once', async () => {
    const { source, informer, clock } = setUp({ initialBackoffMs: 100 });
    source.answerList([], '1');
    informer.start();
    const first = await source.watchNumber(0);
    first.end();
    await settle();
    expect(source.watches).toHaveLength(1);
    clock.advance(150);
    await source.watchNumber(1);
    await informer.stop();
  });

  it('stops: the open watch is aborted and no other is opened', async () => {
    const { source, informer, clock } = setUp();
    source.answerList([], '1');
    informer.start();
    const watch = await source.watchNumber(0);
    await informer.stop();
    expect(watch.open).toBe(false);
    clock.advance(60_000);
    await settle();
    expect(source.watches).toHaveLength(1);
  });
});

describe('Informer with a streaming list', () => {
  const end = (rv: string) => ({ metadata: { resourceVersion: rv, annotations: { 'k8s.io/initial-events-end': 'true' } } }) as KubeObject;

  it('fills the cache as the first list streams in, syncs at its end bookmark only, then goes on with the same stream as the watch', async () => {
    const { source, informer, events } = setUp({ streamingList: true });
    informer.start();
    const stream = await source.watchNumber(0);
    expect(stream.options.sendInitialEvents).toBe(true);
    stream.send('ADDED', cm('a', '10'));
    stream.send('ADDED', cm('b', '11'));
    stream.send('BOOKMARK', { metadata: { resourceVersion: '11' } } as KubeObject); // a plain bookmark ends nothing
    await settle();
    // Each object is cached and handed on as it comes, before the list is complete.
    expect(informer.hasSynced()).toBe(false);
    expect(events).toEqual(['add a@10', 'add b@11']);
    expect(informer.store.keys().sort()).toEqual(['ns/a', 'ns/b']);
    const late: string[] = [];
    informer.addHandlers({ add: (o) => late.push(o.metadata.name!) });
    expect(late.sort()).toEqual(['a', 'b']);
    stream.send('BOOKMARK', end('12'));
    expect(await informer.waitForSync()).toBe(true);
    expect(events).toEqual(['add a@10', 'add b@11']);
    expect(informer.lastResourceVersion).toBe('12');

    stream.send('MODIFIED', cm('a', '13'));
    expect(events.at(-1)).toBe('update a@10->13');
    // The server ends the stream: the next watch resumes from where it was, with no new list.
    stream.end();
    const next = await source.watchNumber(1);
    expect(next.options.sendInitialEvents).toBeUndefined();
    expect(next.options.resourceVersion).toBe('13');
    expect(source.listCalls).toHaveLength(0);
    expect(informer.stats).toMatchObject({ lists: 1, streamedLists: 1 });
    await informer.stop();
  });

  it('a stream that ends before its initial events are all in lists again, and a relist delivers what changed', async () => {
    const { source, informer, events, clock } = setUp({ streamingList: true });
    informer.start();
    const first = await source.watchNumber(0);
    first.send('ADDED', cm('a', '10'));
    first.fail(new ApiError(0, 'ECONNRESET', 'reset'));
    await settle();
    clock.advance(1_000);
    const second = await source.watchNumber(1);
    expect(second.options.sendInitialEvents).toBe(true);
    second.send('ADDED', cm('b', '11'));
    second.send('BOOKMARK', end('11'));
    await informer.waitForSync();
    // The broken first attempt had cached a; the complete list has it no longer.
    expect(events).toEqual(['add a@10', 'add b@11', 'delete a (final state unknown)']);
    expect(informer.store.keys()).toEqual(['ns/b']);
    // A 410 later: the relist is a stream too; a delete the broken watch missed still arrives.
    second.send('ERROR', { code: 410, reason: 'Expired', message: 'too old' } as unknown as KubeObject);
    const third = await source.watchNumber(2);
    expect(third.options.sendInitialEvents).toBe(true);
    third.send('ADDED', cm('c', '20'));
    third.send('BOOKMARK', end('20'));
    await settle();
    expect(events.slice(3)).toEqual(['add c@20', 'delete b (final state unknown)']);
    await informer.stop();
  });

  it('falls back to paged lists when the API server refuses streaming lists', async () => {
    const { source, informer, events } = setUp({ streamingList: true });
    informer.start();
    const refused = await source.watchNumber(0);
    refused.fail(ApiError.fromStatus(422, { reason: 'Invalid', message: 'sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled' }));
    await settle();
    source.answerList([cm('a', '1')], '2');
    expect(await informer.waitForSync()).toBe(true);
    expect(events).toEqual(['add a@1']);
    const watch = await source.watchNumber(1);
    expect(watch.options.sendInitialEvents).toBeUndefined();
    expect(watch.options.resourceVersion).toBe('2');
    await informer.stop();
  });
});
