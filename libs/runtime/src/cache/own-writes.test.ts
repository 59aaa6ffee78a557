import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../client/objects.ts';
import { compareResourceVersions, OwnWrites } from './own-writes.ts';

const obj = (rv: string, uid = 'u1', name = 'a'): KubeObject => ({ metadata: { name, namespace: 'ns', uid, resourceVersion: rv } });

describe('compareResourceVersions', () => {
  it('orders decimal integers by value, not as text', () => {
    expect(compareResourceVersions('9', '10')).toBeLessThan(0);
    expect(compareResourceVersions('100', '99')).toBeGreaterThan(0);
    expect(compareResourceVersions('42', '42')).toBe(0);
    expect(compareResourceVersions('123456789012345678901', '123456789012345678902')).toBeLessThan(0);
  });

  it('refuses to order what is not an integer resourceVersion', () => {
    expect(compareResourceVersions('abc', '10')).toBeUndefined();
    expect(compareResourceVersions('010', '10')).toBeUndefined();
    expect(compareResourceVersions(undefined, '10')).toBeUndefined();
    expect(compareResourceVersions('', '')).toBeUndefined();
  });
});

describe('OwnWrites', () => {
  it('gives the own write while the cache lags, and the cache once it catches up', () => {
    const own = new OwnWrites();
    const written = own.remember(obj('12'));
    expect(own.fresher('ns/a', obj('11'))).toBe(written);
    const caught = obj('12');
    expect(own.fresher('ns/a', caught)).toBe(caught);
    expect(own.size).toBe(0);
    // Once dropped, an older cached version is what there is.
    const older = obj('11');
    expect(own.fresher('ns/a', older)).toBe(older);
  });

  it('gives the cache when someone else wrote after us', () => {
    const own = new OwnWrites();
    own.remember(obj('12'));
    const theirs = obj('15');
    expect(own.fresher('ns/a', theirs)).toBe(theirs);
    expect(own.size).toBe(0);
  });

  it('keeps the newest of writes that complete out of order', () => {
    const own = new OwnWrites();
    const newer = own.remember(obj('20'));
    own.remember(obj('18'));
    expect(own.fresher('ns/a', obj('17'))).toBe(newer);
  });

  it('never mixes up an object with a new one of the same name, and forgets deleted ones', () => {
    const own = new OwnWrites();
    own.remember(obj('30', 'old-uid'));
    const recreated = obj('25', 'new-uid');
    expect(own.fresher('ns/a', recreated)).toBe(recreated);
    expect(own.fresher('ns/a', undefined)).toBeUndefined();
    expect(own.size).toBe(0);
  });

  it('does not assume an order for resourceVersions it cannot compare', () => {
    const own = new OwnWrites();
    own.remember(obj('opaque-2'));
    const cached = obj('opaque-1');
    expect(own.fresher('ns/a', cached)).toBe(cached);
  });

  it('drops entries older than maxAgeMs', () => {
    let now = 0;
    const own = new OwnWrites({ maxAgeMs: 1_000, now: () => now });
    own.remember(obj('5', 'u', 'a'));
    now = 2_000;
    own.remember(obj('6', 'u', 'b')); // the sweep runs on writes
    expect(own.size).toBe(1);
    expect(own.fresher('ns/a', obj('4', 'u', 'a'))?.metadata.resourceVersion).toBe('4');
  });
});
