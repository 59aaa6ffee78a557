import { describe, expect, it } from 'vitest';
import { ApiError } from '../client/api-error.ts';
import type { KubeClient } from '../client/kube-client.ts';
import type { KubeObject } from '../client/objects.ts';
import { FakeClock } from '../time/fake-clock.ts';
import { memoryLog } from '../testing/memory-log.ts';
import { settle } from '../testing/scripted-source.ts';
import { LeaderElector } from './leader-elector.ts';

type Lease = KubeObject & { spec?: Record<string, unknown> };

interface Call {
  method: 'get' | 'create' | 'replace';
  at: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  answer: (value: Lease | Error) => void;
}

/**
 * The three lease requests the elector makes, answered by the test (or left hanging, as over a
 * stalled connection); its Lease watch opens and stays silent.
 */
function scriptedClient(clock: FakeClock) {
  const calls: Call[] = [];
  const call = (method: Call['method'], options: { timeoutMs?: number; signal?: AbortSignal } = {}) =>
    new Promise<Lease>((resolve, reject) => {
      const c: Call = { method, at: clock.monotonic(), timeoutMs: options.timeoutMs, signal: options.signal, answer: (v) => (v instanceof Error ? reject(v) : resolve(v)) };
      options.signal?.addEventListener('abort', () => reject(new ApiError(0, 'Aborted', 'aborted')), { once: true });
      calls.push(c);
    });
  const client = {
    get: (_k: unknown, _r: unknown, o?: { timeoutMs?: number; signal?: AbortSignal }) => call('get', o),
    create: (_k: unknown, _b: unknown, o?: { timeoutMs?: number; signal?: AbortSignal }) => call('create', o),
    replace: (_k: unknown, _b: unknown, o?: { timeoutMs?: number; signal?: AbortSignal }) => call('replace', o),
    list: async () => ({ metadata: { resourceVersion: '1' }, items: [] }),
    stream: (_p: string, o: { signal?: AbortSignal }) => new Promise<void>((_r, reject) => o.signal?.addEventListener('abort', () => reject(new ApiError(0, 'Aborted', 'aborted')), { once: true })),
  };
  return { client: client as unknown as KubeClient, calls };
}

const lease = (holder: string, rv: string): Lease => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { namespace: 'ns', name: 'l', resourceVersion: rv },
  spec: { holderIdentity: holder, leaseDurationSeconds: 4, renewTime: `t${rv}` },
});

async function next(calls: Call[], n: number): Promise<Call> {
  for (let i = 0; i < 100 && calls.length <= n; i++) await settle(2);
  const c = calls[n];
  if (!c) throw new Error(`no request number ${n} (made: ${calls.map((x) => x.method).join(', ')})`);
  return c;
}

describe('LeaderElector fencing, on a fake clock', () => {
  it('stops leading at the renew deadline counted from when the last renewal was sent, however its requests hang', async () => {
    const clock = new FakeClock();
    const { client, calls } = scriptedClient(clock);
    const { log } = memoryLog('silent');
    const events: Array<[string, number]> = [];
    const elector = new LeaderElector(client, log, { namespace: 'ns', name: 'l', identity: 'me', leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 500, clock }, {
      onStartedLeading: () => events.push(['started', clock.monotonic()]),
      onStoppedLeading: () => events.push(['stopped', clock.monotonic()]),
    });
    elector.start();

    // Acquire: not found, created.
    (await next(calls, 0)).answer(new ApiError(404, 'NotFound', 'no lease'));
    (await next(calls, 1)).answer(lease('me', '2'));
    await settle();
    expect(events).toEqual([['started', 0]]);

    // One renewal at 500 ms whose answer takes 400 ms: the deadline counts from 500, not 900.
    clock.advance(500);
    const get = await next(calls, 2);
    expect(get.method).toBe('get');
    expect(get.timeoutMs).toBeLessThanOrEqual(2_500);
    clock.advance(200);
    get.answer(lease('me', '2'));
    const put = await next(calls, 3);
    expect(put.method).toBe('replace');
    clock.advance(200);
    put.answer(lease('me', '3'));
    await settle();

    // From here every request hangs (a stalled connection). A wall clock step changes nothing.
    clock.stepWallClock(120_000);
    let waited = 900;
    while (!events.some(([e]) => e === 'stopped') && waited < 10_000) {
      clock.advance(50);
      waited += 50;
      await settle(2);
    }
    expect(events).toEqual([['started', 0], ['stopped', 3_500]]);
    expect(elector.isLeader).toBe(false);
    // The lease request in flight at the deadline was aborted with it.
    const hung = calls.filter((c) => c.at > 900);
    expect(hung.length).toBeGreaterThan(0);
    expect(hung.every((c) => c.signal?.aborted)).toBe(true);
    // No request made while leading was allowed to outlive the deadline.
    for (const c of calls.filter((x) => x.at >= 500 && x.at < 3_500)) expect(c.at + (c.timeoutMs ?? Infinity)).toBeLessThanOrEqual(3_500);
    await elector.stop({ release: false });
  });

  it('does not take back leadership from an answer that arrives after the deadline', async () => {
    const clock = new FakeClock();
    const { client, calls } = scriptedClient(clock);
    const { log } = memoryLog('silent');
    const events: string[] = [];
    const elector = new LeaderElector(client, log, { namespace: 'ns', name: 'l', identity: 'me', leaseDurationMs: 4_000, renewDeadlineMs: 3_000, retryPeriodMs: 500, clock }, {
      onStartedLeading: () => events.push('started'),
      onStoppedLeading: () => events.push('stopped'),
    });
    elector.start();
    (await next(calls, 0)).answer(lease('me', '1'));
    (await next(calls, 1)).answer(lease('me', '2'));
    await settle();
    clock.advance(500);
    const late = await next(calls, 2);
    clock.advance(2_600); // past the deadline at 3 000
    await settle();
    expect(events).toEqual(['started', 'stopped']);
    late.answer(lease('me', '2')); // too late: the attempt was aborted with the loss
    await settle();
    expect(events).toEqual(['started', 'stopped']);
    await elector.stop({ release: false });
  });
});
