import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MinHeap } from './min-heap.ts';

describe('MinHeap', () => {
  it('pops due entries earliest first, ties by key', () => {
    const heap = new MinHeap();
    heap.set('ns/c', 30);
    heap.set('ns/a', 10);
    heap.set('ns/b', 10);
    heap.set('ns/d', 50);
    expect(heap.popDue(30)).toEqual([
      { key: 'ns/a', at: 10 },
      { key: 'ns/b', at: 10 },
      { key: 'ns/c', at: 30 },
    ]);
    expect(heap.peek()).toEqual({ key: 'ns/d', at: 50 });
    expect(heap.size).toBe(1);
  });

  it('moves a deadline earlier or later in place, and forgets a removed one', () => {
    const heap = new MinHeap();
    heap.set('x', 100);
    heap.set('y', 200);
    heap.set('y', 50);
    expect(heap.peek()).toEqual({ key: 'y', at: 50 });
    heap.set('y', 300);
    expect(heap.peek()).toEqual({ key: 'x', at: 100 });
    expect(heap.delete('x')).toBe(true);
    expect(heap.delete('x')).toBe(false);
    expect(heap.popDue(1_000)).toEqual([{ key: 'y', at: 300 }]);
    expect(heap.size).toBe(0);
  });

  it('agrees with a sorted map under any sequence of sets and deletes', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 20 }), at: fc.integer({ min: 0, max: 1000 }) }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 20 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: 0, max: 1000 }), (ops, now) => {
        const heap = new MinHeap();
        const model = new Map<string, number>();
        for (const o of ops) {
          const key = `k${String(o.key).padStart(2, '0')}`;
          if (o.kind === 'set') {
            heap.set(key, o.at);
            model.set(key, o.at);
          } else {
            expect(heap.delete(key)).toBe(model.delete(key));
          }
        }
        expect(heap.size).toBe(model.size);
        const expected = [...model]
          .filter(([, at]) => at <= now)
          .sort(([ka, a], [kb, b]) => a - b || (ka < kb ? -1 : 1))
          .map(([key, at]) => ({ key, at }));
        expect(heap.popDue(now)).toEqual(expected);
        expect(heap.size).toBe(model.size - expected.length);
      }),
    );
  });
});
