import { describe, expect, it } from 'vitest';
import { decide, nextSpec, observe, releasedSpec, toMicroTime, untilExpiry } from './lease-logic.ts';

describe('lease logic', () => {
  const now = new Date('2026-01-01T00:00:00.123Z');

  it('creates a missing lease, renews its own, and acquires a released one', () => {
    expect(decide(undefined, false, 'me', 0)).toBe('create');
    expect(decide(observe(undefined, { holderIdentity: 'me', leaseDurationSeconds: 15, renewTime: 'x' }, 0), true, 'me', 0)).toBe('renew');
    expect(decide(observe(undefined, { holderIdentity: null, leaseDurationSeconds: 1, renewTime: 'x' }, 0), true, 'me', 0)).toBe('acquire');
  });

  it('waits for a foreign lease until it has not changed for its duration, by the local clock', () => {
    let o = observe(undefined, { holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: 'r1' }, 1000);
    expect(decide(o, true, 'me', 15_999)).toBe('wait');
    expect(untilExpiry(o, 15_999)).toBe(1);
    // A renewal seen at 10 s restarts the clock even though its timestamp is from elsewhere.
    o = observe(o, { holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: 'r2' }, 10_000);
    expect(decide(o, true, 'me', 16_000)).toBe('wait');
    expect(decide(o, true, 'me', 25_000)).toBe('acquire');
    // The same record observed again does not.
    expect(observe(o, { holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: 'r2' }, 20_000)).toBe(o);
  });

  it('counts a transition only when the holder changes', () => {
    const taken = nextSpec('acquire', { holderIdentity: 'other', leaseTransitions: 4 }, 'me', 15_000, now);
    expect(taken).toMatchObject({ holderIdentity: 'me', leaseDurationSeconds: 15, leaseTransitions: 5, renewTime: '2026-01-01T00:00:00.123000Z' });
    const renewed = nextSpec('renew', taken, 'me', 15_000, new Date('2026-01-01T00:00:02Z'));
    expect(renewed.leaseTransitions).toBe(5);
    expect(renewed.acquireTime).toBe(taken.acquireTime);
    expect(renewed.renewTime).toBe('2026-01-01T00:00:02.000000Z');
  });

  it('releases by clearing the holder', () => {
    const released = releasedSpec({ holderIdentity: 'me', leaseDurationSeconds: 15, leaseTransitions: 2 }, now);
    expect(released).toMatchObject({ holderIdentity: null, leaseDurationSeconds: 1, leaseTransitions: 2 });
    expect(toMicroTime(now)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });
});
