import { expect, it } from 'vitest';
import { ClaimReason, CREATED_BY_LABEL, FINAL_CLAIM_REASONS as API_FINAL } from '@agent-sandbox/api';
import { claimBody, CREATED_BY_LABEL as SDK_CREATED_BY, FINAL_CLAIM_REASONS, newClaimName } from './claims.ts';

it('names claims sandbox-claim-<8 hex>', () => {
  const names = new Set(Array.from({ length: 50 }, () => newClaimName()));
  for (const name of names) expect(name).toMatch(/^sandbox-claim-[0-9a-f]{8}$/);
  expect(names.size).toBe(50);
});

it('builds the claim the standard\'s SDKs build', () => {
  const now = new Date('2026-01-02T03:04:05.678Z');
  expect(
    claimBody('sandbox-claim-00000001', 'team', { warmPool: 'python', labels: { a: 'b' }, shutdownAfterSeconds: 60, additionalPodMetadata: { labels: { 'sandbox.users.io/x': 'y' } } }, now),
  ).toEqual({
    apiVersion: 'extensions.agents.x-k8s.io/v1beta1',
    kind: 'SandboxClaim',
    metadata: {
      name: 'sandbox-claim-00000001',
      namespace: 'team',
      labels: { a: 'b', 'agents.x-k8s.io/created-by': 'typescript-client' },
      annotations: { 'agents.x-k8s.io/client-first-requested-at': '2026-01-02T03:04:05.678000000Z' },
    },
    spec: {
      warmPoolRef: { name: 'python' },
      lifecycle: { shutdownTime: '2026-01-02T03:05:05Z', shutdownPolicy: 'Delete' },
      additionalPodMetadata: { labels: { 'sandbox.users.io/x': 'y' } },
    },
  });
});

it('keeps its own copies of the API\'s constants (it ships without the monorepo) equal to them', () => {
  expect([...FINAL_CLAIM_REASONS].sort()).toEqual([...API_FINAL].sort());
  expect(SDK_CREATED_BY).toBe(CREATED_BY_LABEL);
  expect(FINAL_CLAIM_REASONS.has(ClaimReason.InvalidMetadata)).toBe(true);
});
