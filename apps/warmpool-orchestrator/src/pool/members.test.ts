import { describe, expect, it } from 'vitest';
import type { SandboxWarmPoolStatus } from '@agent-sandbox/api';
import { onlyCountsDiffer } from './members.ts';

const status = (ready: number, available: 'True' | 'False', generation = 1): SandboxWarmPoolStatus => ({
  replicas: 3,
  readyReplicas: ready,
  updatedReplicas: 3,
  selector: 'agents.x-k8s.io/warm-pool-sandbox=abcd1234',
  observedGeneration: generation,
  conditions: [
    { type: 'Available', status: available, reason: available === 'True' ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', message: `${ready} of 3 members are Ready`, lastTransitionTime: '2030-01-01T00:00:00Z', observedGeneration: generation },
  ],
} as SandboxWarmPoolStatus);

describe('onlyCountsDiffer', () => {
  it('is true when only the counts and the messages quoting them move', () => {
    expect(onlyCountsDiffer(status(1, 'False'), status(2, 'False'))).toBe(true);
  });

  it('is false when a condition, the generation or the first status changes', () => {
    expect(onlyCountsDiffer(status(2, 'False'), status(3, 'True'))).toBe(false);
    expect(onlyCountsDiffer(status(2, 'False'), status(2, 'False', 2))).toBe(false);
    expect(onlyCountsDiffer(undefined, status(2, 'False'))).toBe(false);
  });
});
