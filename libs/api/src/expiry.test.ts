import { describe, expect, it } from 'vitest';
import { expiredAt, isExpired, legacyExpiredCondition } from './expiry.ts';

const legacy = { type: 'Expired', status: 'True', reason: 'ShutdownTimeReached', message: '', lastTransitionTime: '2030-01-01T00:00:00Z' };

describe('expiry', () => {
  it('reads the ttl-reaper\'s annotation', () => {
    expect(expiredAt({ metadata: { annotations: { 'agents.x-k8s.io/expired-at': '2030-01-02T00:00:00Z' } } })).toBe('2030-01-02T00:00:00Z');
    expect(isExpired({ metadata: {} })).toBe(false);
  });

  it('counts the legacy Expired condition until the annotation is there, then only the annotation', () => {
    const unmigrated = { metadata: {}, status: { conditions: [legacy] } };
    expect(legacyExpiredCondition(unmigrated)).toBe(legacy);
    expect(expiredAt(unmigrated)).toBe('2030-01-01T00:00:00Z');
    const migrated = { metadata: { annotations: { 'agents.x-k8s.io/expired-at': '2030-01-01T00:00:00Z' } }, status: { conditions: [legacy] } };
    expect(legacyExpiredCondition(migrated)).toBeUndefined();
    expect(isExpired({ metadata: {}, status: { conditions: [{ ...legacy, status: 'False' }] } })).toBe(false);
  });
});
