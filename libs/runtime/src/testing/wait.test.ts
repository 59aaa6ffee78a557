import { describe, expect, it } from 'vitest';
import { consistently, waitUntil } from './wait.ts';

describe('consistently', () => {
  it('passes when the check holds at every look for the whole time', async () => {
    let looks = 0;
    const started = Date.now();
    await consistently('always true', () => (looks++, true), 200, 20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(looks).toBeGreaterThanOrEqual(5);
  });

  it('fails at the first look that does not hold, even when a later one would', async () => {
    const started = Date.now();
    let flip = false;
    setTimeout(() => (flip = true), 60);
    setTimeout(() => (flip = false), 120);
    await expect(consistently('the flag stays down', () => !flip, 400, 10)).rejects.toThrow(/the flag stays down: no longer true at look \d+/);
    expect(Date.now() - started).toBeLessThan(400);
  });
});

describe('waitUntil', () => {
  it('returns once the check holds', async () => {
    let looks = 0;
    await waitUntil('the third look', () => ++looks === 3, 1_000, 10);
    expect(looks).toBe(3);
  });

  it('fails naming what it waited for once the time is up', async () => {
    const started = Date.now();
    await expect(waitUntil('a flag that never rises', () => false, 100, 10)).rejects.toThrow('timed out after 100 ms waiting for a flag that never rises');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });
});
