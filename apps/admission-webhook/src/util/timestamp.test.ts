import { describe, expect, it } from 'vitest';
import { rfc3339Nano, systemNanoClock } from './timestamp.ts';

describe('rfc3339Nano', () => {
  it('writes nine fractional digits in UTC', () => {
    expect(rfc3339Nano(1_767_225_600_000_000_001n)).toBe('2026-01-01T00:00:00.000000001Z');
    expect(rfc3339Nano(1_767_225_600_123_456_789n)).toBe('2026-01-01T00:00:00.123456789Z');
  });

  it('reads back as the same millisecond, and the clock follows the wall clock', () => {
    const now = systemNanoClock();
    expect(Math.abs(Date.parse(rfc3339Nano(now)) - Date.now())).toBeLessThan(1000);
  });
});
