import { expect, it } from 'vitest';
import { FakeClock } from '@agent-sandbox/runtime';
import { TtlCache } from './ttl-cache.ts';

it('keeps a value for its TTL, shares one load among concurrent lookups and drops the oldest past its size', async () => {
  const clock = new FakeClock();
  const cache = new TtlCache<number>({ maxEntries: 2, clock });
  let loads = 0;
  const load = (value: number, ttlMs = 1000) => async () => {
    loads++;
    await Promise.resolve();
    return { value, ttlMs };
  };
  const [a, b] = await Promise.all([cache.get('a', load(1)), cache.get('a', load(1))]);
  expect([a.value, b.value, loads]).toEqual([1, 1, 1]);
  expect((await cache.get('a', load(2))).cached).toBe(true);
  clock.advance(1001);
  expect(await cache.get('a', load(3))).toEqual({ value: 3, cached: false });
  await cache.get('b', load(4));
  await cache.get('c', load(5));
  expect(cache.size).toBe(2);
  expect((await cache.get('a', load(6))).value).toBe(6); // "a" was the oldest
  expect((await cache.get('x', load(7, 0))).cached).toBe(false);
  expect((await cache.get('x', load(8, 0))).value).toBe(8); // a TTL of 0 is not kept
});
