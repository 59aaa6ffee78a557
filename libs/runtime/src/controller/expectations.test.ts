import { describe, expect, it } from 'vitest';
import { FakeClock } from '../time/fake-clock.ts';
import { Expectations } from './expectations.ts';

describe('Expectations', () => {
  it('holds until every create and delete is observed', () => {
    const e = new Expectations(10_000, new FakeClock());
    expect(e.satisfied('ns/p')).toBe(true);
    e.expectCreates('ns/p', 2);
    e.expectDeletes('ns/p', ['a']);
    expect(e.satisfied('ns/p')).toBe(false);
    e.creationObserved('ns/p');
    e.creationObserved('ns/p');
    expect(e.satisfied('ns/p')).toBe(false);
    e.deletionObserved('ns/p', 'a');
    expect(e.satisfied('ns/p')).toBe(true);
    expect(e.satisfied('ns/other')).toBe(true);
  });

  it('gives up after the timeout', () => {
    const clock = new FakeClock();
    const e = new Expectations(10_000, clock);
    e.expectCreates('k', 1);
    clock.advance(9_999);
    expect(e.satisfied('k')).toBe(false);
    expect(e.remainingMs('k')).toBe(1);
    clock.advance(1);
    expect(e.satisfied('k')).toBe(true);
    expect(e.remainingMs('k')).toBeUndefined();
  });
});
