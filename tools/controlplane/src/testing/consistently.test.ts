import { describe, expect, it } from 'vitest';
import { consistently } from './consistently.ts';

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
