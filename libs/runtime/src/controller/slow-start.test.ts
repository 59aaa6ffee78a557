import { describe, expect, it } from 'vitest';
import { slowStart, slowStartBatches } from './slow-start.ts';

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
