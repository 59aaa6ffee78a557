import { describe, expect, it } from 'vitest';
import type { SandboxObject } from '../kinds.ts';
import { nameHash } from '@agent-sandbox/api';
import { orderCandidates } from './candidates.ts';

const member = (name: string, opts: { ready?: boolean; hash?: string; deleting?: boolean; template?: string } = {}): SandboxObject =>
  ({
    metadata: {
      name,
      namespace: 'ns',
      labels: { 'agents.x-k8s.io/sandbox-template-hash': opts.hash ?? 'h1', 'agents.x-k8s.io/sandbox-template-ref-hash': nameHash(opts.template ?? 'tpl') },
      ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: { podTemplate: { spec: { containers: [] } } },
    status: { conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', reason: 'x', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
  }) as unknown as SandboxObject;

const names = (xs: SandboxObject[]) => xs.map((x) => x.metadata.name);
const none = { skip: () => false };

describe('orderCandidates', () => {
  const pool = ['m-a', 'm-b', 'm-c', 'm-d', 'm-e'].map((n) => member(n));

  it('offers only Ready members that are not terminating, not stale when that is asked for, not skipped', () => {
    const mixed = [member('ready'), member('not-ready', { ready: false }), member('going', { deleting: true }), member('old', { hash: 'h0' }), member('taken'), member('other-template', { template: 'tpl2' })];
    expect(names(orderCandidates(mixed, 'uid', none)).sort()).toEqual(['old', 'other-template', 'ready', 'taken']);
    expect(names(orderCandidates(mixed, 'uid', { fresh: { templateName: 'tpl', hash: 'h1' }, skip: (s) => s.metadata.name === 'taken' }))).toEqual(['ready']);
  });

  it('is a rotation of the same sorted list, starting where the claim uid hashes to', () => {
    const order = names(orderCandidates(pool, 'claim-uid-1', none));
    expect([...order].sort()).toEqual(['m-a', 'm-b', 'm-c', 'm-d', 'm-e']);
    const start = order.indexOf('m-a');
    expect([...order.slice(start), ...order.slice(0, start)]).toEqual(['m-a', 'm-b', 'm-c', 'm-d', 'm-e']);
    // The same claim always starts at the same member.
    expect(names(orderCandidates(pool, 'claim-uid-1', none))).toEqual(order);
  });

  it('spreads concurrent claims over the members instead of sending all to the first', () => {
    const firsts = new Map<string, number>();
    for (let i = 0; i < 500; i++) {
      const first = orderCandidates(pool, `uid-${i}`, none)[0]!.metadata.name!;
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    expect(firsts.size).toBe(5);
    for (const count of firsts.values()) expect(count).toBeGreaterThan(50);
  });
});
