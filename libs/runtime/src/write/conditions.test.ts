import { describe, expect, it } from 'vitest';
import { conditionsEqual, findCondition, removeCondition, setCondition } from './conditions.ts';

const t0 = new Date('2026-01-01T00:00:00Z');
const t1 = new Date('2026-01-01T00:05:00Z');

describe('conditions', () => {
  it('adds a condition with the transition time of now', () => {
    const list = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Pending', message: 'waiting' }, t0);
    expect(list).toEqual([{ type: 'Ready', status: 'False', reason: 'Pending', message: 'waiting', lastTransitionTime: '2026-01-01T00:00:00Z' }]);
  });

  it('keeps lastTransitionTime when only reason or message change', () => {
    const a = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Pending', message: 'waiting' }, t0);
    const b = setCondition(a, { type: 'Ready', status: 'False', reason: 'Scheduling', message: 'no node' }, t1);
    expect(findCondition(b, 'Ready')).toMatchObject({ reason: 'Scheduling', lastTransitionTime: '2026-01-01T00:00:00Z' });
    expect(a[0]!.reason).toBe('Pending');
  });

  it('moves lastTransitionTime when the status changes, keeping other types in place', () => {
    let list = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Pending', message: '' }, t0);
    list = setCondition(list, { type: 'Bound', status: 'True', reason: 'Bound', message: '' }, t0);
    list = setCondition(list, { type: 'Ready', status: 'True', reason: 'Running', message: '' }, t1);
    expect(list.map((c) => c.type)).toEqual(['Ready', 'Bound']);
    expect(findCondition(list, 'Ready')!.lastTransitionTime).toBe('2026-01-01T00:05:00Z');
    expect(findCondition(list, 'Bound')!.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    expect(removeCondition(list, 'Ready').map((c) => c.type)).toEqual(['Bound']);
  });

  it('compares lists regardless of order', () => {
    const a = setCondition(setCondition(undefined, { type: 'A', status: 'True', reason: 'r', message: '' }, t0), { type: 'B', status: 'True', reason: 'r', message: '' }, t0);
    const b = [a[1]!, a[0]!];
    expect(conditionsEqual(a, b)).toBe(true);
    expect(conditionsEqual(a, setCondition(b, { type: 'A', status: 'False', reason: 'r', message: '' }, t1))).toBe(false);
  });
});
