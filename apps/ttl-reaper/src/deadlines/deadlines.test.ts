import { describe, expect, it } from 'vitest';
import { claimDeadline, sandboxDeadline } from './deadlines.ts';

const finished = (at: string, status: 'True' | 'False' = 'True') => ({
  conditions: [{ type: 'Finished', status, reason: 'PodSucceeded', message: '', lastTransitionTime: at }],
});

describe('sandboxDeadline', () => {
  it('is the shutdownTime, or none', () => {
    expect(sandboxDeadline({ spec: { shutdownTime: '2026-11-29T10:00:00Z' } } as never)).toEqual({
      at: Date.parse('2026-11-29T10:00:00Z'),
      reason: 'ShutdownTimeReached',
    });
    expect(sandboxDeadline({ spec: {} } as never)).toBeUndefined();
  });
});

describe('claimDeadline', () => {
  it('uses shutdownTime alone', () => {
    expect(claimDeadline({ spec: { warmPoolRef: { name: 'p' }, lifecycle: { shutdownTime: '2026-11-29T10:00:00Z' } } } as never)?.at).toBe(
      Date.parse('2026-11-29T10:00:00Z'),
    );
  });

  it('counts ttlSecondsAfterFinished from the Finished transition, and only once finished', () => {
    const spec = { warmPoolRef: { name: 'p' }, lifecycle: { ttlSecondsAfterFinished: 30 } };
    expect(claimDeadline({ spec } as never)).toBeUndefined();
    expect(claimDeadline({ spec, status: finished('2026-11-29T10:00:00Z', 'False') } as never)).toBeUndefined();
    expect(claimDeadline({ spec, status: finished('2026-11-29T10:00:00Z') } as never)).toEqual({
      at: Date.parse('2026-11-29T10:00:30Z'),
      reason: 'TTLAfterFinishedReached',
    });
  });

  it('takes the earlier of the two', () => {
    const status = finished('2026-11-29T10:00:00Z');
    const early = { warmPoolRef: { name: 'p' }, lifecycle: { shutdownTime: '2026-11-29T10:00:10Z', ttlSecondsAfterFinished: 30 } };
    const late = { warmPoolRef: { name: 'p' }, lifecycle: { shutdownTime: '2026-11-29T11:00:00Z', ttlSecondsAfterFinished: 30 } };
    expect(claimDeadline({ spec: early, status } as never)?.reason).toBe('ShutdownTimeReached');
    expect(claimDeadline({ spec: late, status } as never)).toEqual({ at: Date.parse('2026-11-29T10:00:30Z'), reason: 'TTLAfterFinishedReached' });
  });
});
