import { describe, expect, it } from 'vitest';
import { Expectations } from './expectations.ts';

describe('Expectations', () => {
  it('holds until every create and delete is observed', () => {
    const e = new Expectations(10_000, () => 0);
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
    let now = 0;
    const e = new Expectations(10_000, () => now);
    e.expectCreates('k', 1);
    now = 9_999;
    expect(e.satisfied('k')).toBe(false);
    expect(e.remainingMs('k')).toBe(1);
    now = 10_000;
    expect(e.satisfied('k')).toBe(true);
    expect(e.remainingMs('k')).toBeUndefined();
  });
});
