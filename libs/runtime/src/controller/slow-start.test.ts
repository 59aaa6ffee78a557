import { describe, expect, it } from 'vitest';
import { inBatches, slowStart, slowStartBatches } from './slow-start.ts';

describe('slow start', () => {
  it('doubles the batch up to the cap', () => {
    expect(slowStartBatches(0, 8)).toEqual([]);
    expect(slowStartBatches(10, 8)).toEqual([1, 2, 4, 3]);
    expect(slowStartBatches(40, 8)).toEqual([1, 2, 4, 8, 8, 8, 8, 1]);
    expect(slowStartBatches(3, 0)).toEqual([1, 1, 1]);
  });

  it('stops after the first batch with a failure', async () => {
    let calls = 0;
    const batches: number[] = [];
    const result = await slowStart(100, 64, async () => {
      calls++;
      if (calls === 5) throw new Error('quota');
    }, (n) => batches.push(n));
    expect(batches).toEqual([1, 2, 4]);
    expect(calls).toBe(7);
    expect(result.made).toBe(6);
    expect(String(result.error)).toContain('quota');
  });
});

describe('in batches', () => {
  it('has at most a batch in flight, and starts the next once it is done', async () => {
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    const result = await inBatches([...Array(10).keys()], 4, async (i) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, i % 3));
      seen.push(i);
      inFlight--;
    });
    expect(result).toEqual({ tried: 10 });
    expect(most).toBe(4);
    expect(seen.slice(0, 4).sort()).toEqual([0, 1, 2, 3]);
    expect(seen.slice(4, 8).sort()).toEqual([4, 5, 6, 7]);
    expect(seen.length).toBe(10);
  });

  it('tries no batch after one with a failure', async () => {
    const tried: number[] = [];
    const result = await inBatches([...Array(10).keys()], 3, async (i) => {
      tried.push(i);
      if (i === 4) throw new Error('429');
    });
    expect(tried.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(result.tried).toBe(6);
    expect(String(result.error)).toContain('429');
  });
});
