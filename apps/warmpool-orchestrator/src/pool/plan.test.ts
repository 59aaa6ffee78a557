import { describe, expect, it } from 'vitest';
import { deletionOrder, plan, resolveIntOrPercent, rollingBounds, type Member, type PlanInput } from './plan.ts';

const NOW = 1_000_000;
const m = (name: string, over: Partial<Member> = {}): Member => ({ name, ready: true, updated: true, createdAtMs: NOW - 10_000, unschedulable: false, ...over });
const input = (over: Partial<PlanInput>): PlanInput => ({
  replicas: 3,
  strategy: { type: 'OnReplenish' },
  members: [],
  nowMs: NOW,
  readyGraceMs: 60_000,
  canCreate: true,
  ...over,
});
const names = (ms: Member[]) => ms.map((x) => x.name);

describe('plan: scale', () => {
  it('creates the deficit and deletes the surplus', () => {
    expect(plan(input({ members: [m('a')] })).create).toBe(2);
    const p = plan(input({ replicas: 1, members: [m('a'), m('b'), m('c')] }));
    expect(p.create).toBe(0);
    expect(p.delete).toHaveLength(2);
  });

  it('creates nothing while the template is missing', () => {
    expect(plan(input({ canCreate: false })).create).toBe(0);
  });

  it('deletes the surplus not-Ready first, then stale, then newest', () => {
    const members = [m('old', { createdAtMs: 1 }), m('new', { createdAtMs: 5 }), m('stale', { updated: false, createdAtMs: 3 }), m('starting', { ready: false, createdAtMs: NOW - 1 })];
    expect(names(deletionOrder(members))).toEqual(['starting', 'stale', 'new', 'old']);
    expect(names(plan(input({ replicas: 2, members })).delete)).toEqual(['starting', 'stale']);
  });
});

describe('plan: grace period', () => {
  it('replaces a member not Ready past the grace period and requeues for the next deadline', () => {
    const late = m('late', { ready: false, createdAtMs: NOW - 61_000 });
    const young = m('young', { ready: false, createdAtMs: NOW - 50_000 });
    const p = plan(input({ members: [late, young, m('ok')] }));
    expect(names(p.delete)).toEqual(['late']);
    expect(p.create).toBe(1);
    expect(p.requeueAfterMs).toBe(10_000);
  });

  it('holds an unschedulable member instead of replacing it', () => {
    const stuck = m('stuck', { ready: false, unschedulable: true, createdAtMs: NOW - 61_000 });
    const p = plan(input({ members: [stuck, m('b'), m('c')] }));
    expect(p.delete).toEqual([]);
    expect(names(p.held)).toEqual(['stuck']);
    expect(p.create).toBe(0);
  });
});

describe('plan: update strategies', () => {
  const stale = [m('s1', { updated: false }), m('s2', { updated: false }), m('s3', { updated: false })];

  it('OnReplenish keeps stale members', () => {
    const p = plan(input({ members: stale }));
    expect(p.delete).toEqual([]);
    expect(p.create).toBe(0);
  });

  it('Recreate deletes every stale member at once and replaces them', () => {
    const p = plan(input({ strategy: { type: 'Recreate' }, members: [...stale, m('u1')] }));
    expect(names(p.delete).sort()).toEqual(['s1', 's2', 's3']);
    expect(p.create).toBe(2);
  });

  it('RollingUpdate surges first and keeps Ready members at replicas - maxUnavailable', () => {
    const strategy = { type: 'RollingUpdate' as const, maxSurge: 1, maxUnavailable: 0 };
    const first = plan(input({ strategy, members: stale }));
    expect(first.create).toBe(1);
    expect(first.delete).toEqual([]);
    // The surged member is Ready: one stale member may go, and one more is made.
    const second = plan(input({ strategy, members: [...stale, m('u1')] }));
    expect(second.delete).toHaveLength(1);
    expect(second.create).toBe(1);
    // A new member not Ready yet: nothing more may go.
    const third = plan(input({ strategy, members: [m('s2', { updated: false }), m('s3', { updated: false }), m('u1'), m('u2', { ready: false, createdAtMs: NOW - 1 })] }));
    expect(third.delete).toEqual([]);
    expect(third.create).toBe(0);
  });

  it('RollingUpdate with maxUnavailable deletes up to the budget, not-Ready stale members for free', () => {
    const strategy = { type: 'RollingUpdate' as const, maxSurge: 0, maxUnavailable: 1 };
    const p = plan(input({ strategy, members: [...stale, m('s9', { updated: false, ready: false, createdAtMs: NOW - 1 })] }));
    expect(names(p.delete).sort()).toEqual(['s1', 's9']);
    expect(p.create).toBe(1);
    // Two Ready, at the floor of 3 - 1: only the not-Ready one may go.
    const q = plan(input({ strategy, members: [...stale.slice(0, 2), m('s9', { updated: false, ready: false, createdAtMs: NOW - 1 })] }));
    expect(names(q.delete)).toEqual(['s9']);
    expect(q.create).toBe(1);
  });

  it('resolves int-or-percent bounds and never stalls', () => {
    expect(resolveIntOrPercent('25%', 10, '0', true)).toBe(3);
    expect(resolveIntOrPercent('25%', 10, '0', false)).toBe(2);
    expect(resolveIntOrPercent(4, 10, '0', false)).toBe(4);
    expect(rollingBounds({ type: 'RollingUpdate', maxSurge: 0, maxUnavailable: '10%' }, 3)).toEqual({ surge: 0, unavailable: 1 });
    expect(rollingBounds({ type: 'RollingUpdate' }, 4)).toEqual({ surge: 1, unavailable: 1 });
  });
});
