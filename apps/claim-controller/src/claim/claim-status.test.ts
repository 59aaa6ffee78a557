import { describe, expect, it } from 'vitest';
import type { ClaimObject, SandboxObject } from '../kinds.ts';
import { claimStatusPatch, computeClaimStatus, statusDiffers } from './claim-status.ts';

const T0 = '2026-01-01T00:00:00Z';
const cond = (type: string, status: string, reason: string, message = '') => ({ type, status, reason, message, lastTransitionTime: T0 });
const claim = (conditions: unknown[] = []): ClaimObject =>
  ({ metadata: { name: 'c', namespace: 'ns', generation: 3 }, spec: { warmPoolRef: { name: 'p' } }, status: { conditions } }) as unknown as ClaimObject;
const sandbox = (conditions: unknown[], podIPs?: string[]): SandboxObject =>
  ({ metadata: { name: 'sb', namespace: 'ns' }, spec: { podTemplate: { spec: { containers: [] } } }, status: { conditions, ...(podIPs ? { podIPs } : {}) } }) as unknown as SandboxObject;
const ready = (s: { conditions?: unknown }) => (s.conditions as Array<{ type: string; lastTransitionTime?: string }>).find((c) => c.type === 'Ready');

describe('computeClaimStatus', () => {
  const now = new Date('2026-01-02T00:00:00Z');

  it('forwards the Sandbox Ready condition, its pod IPs and name, with the claim generation', () => {
    const s = computeClaimStatus(claim(), { sandbox: sandbox([cond('Ready', 'True', 'DependenciesReady', 'all good')], ['10.244.0.7']) }, now);
    expect(s.sandbox).toEqual({ name: 'sb', podIPs: ['10.244.0.7'] });
    expect(ready(s)).toMatchObject({ status: 'True', reason: 'DependenciesReady', message: 'all good', observedGeneration: 3 });
  });

  it('says why an unbound claim is not Ready', () => {
    expect(ready(computeClaimStatus(claim(), { unbound: { reason: 'WarmPoolNotFound', message: 'no pool' } }, now))).toMatchObject({ status: 'False', reason: 'WarmPoolNotFound' });
    expect(ready(computeClaimStatus(claim(), {}, now))).toMatchObject({ reason: 'SandboxCreatePending' });
    expect(ready(computeClaimStatus(claim(), { sandbox: sandbox([]) }, now))).toMatchObject({ status: 'False', reason: 'SandboxNotReady' });
  });

  it('reflects expiry: the claim\'s own (ClaimExpired) before its Sandbox\'s (SandboxExpired), with the standard\'s messages', () => {
    const expiredClaim = claim();
    expiredClaim.metadata.annotations = { 'agents.x-k8s.io/expired-at': T0 };
    const s = computeClaimStatus(expiredClaim, { sandbox: sandbox([cond('Ready', 'True', 'DependenciesReady')]) }, now);
    expect(ready(s)).toMatchObject({ status: 'False', reason: 'ClaimExpired', message: 'Claim expired. Sandbox cleanup initiated.' });
    expect((s.conditions as Array<{ type: string }>).map((c) => c.type)).toEqual(['Ready']);
    const expiredSandbox = sandbox([cond('Ready', 'False', 'SandboxExpired', 'Sandbox has expired')]);
    expiredSandbox.metadata.annotations = { 'agents.x-k8s.io/expired-at': T0 };
    expect(ready(computeClaimStatus(claim(), { sandbox: expiredSandbox }, now))).toMatchObject({
      reason: 'SandboxExpired',
      message: 'Underlying Sandbox resource has expired independently of the Claim.',
    });
  });

  it('carries a legacy Expired condition (counted as expiry) until the ttl-reaper has moved it to its annotation', () => {
    const legacy = claim([cond('Expired', 'True', 'ShutdownTimeReached')]);
    const s = computeClaimStatus(legacy, {}, now);
    expect(ready(s)).toMatchObject({ reason: 'ClaimExpired' });
    expect((s.conditions as Array<{ type: string }>).map((c) => c.type).sort()).toEqual(['Expired', 'Ready']);
    legacy.metadata.annotations = { 'agents.x-k8s.io/expired-at': T0 };
    const migrated = computeClaimStatus(legacy, {}, now);
    expect((migrated.conditions as Array<{ type: string }>).map((c) => c.type)).toEqual(['Ready']);
    expect(statusDiffers(s, migrated)).toBe(true);
  });

  it('says Sandbox is not ready while the bound Sandbox has no Ready condition', () => {
    expect(ready(computeClaimStatus(claim(), { sandbox: sandbox([]) }, now))).toMatchObject({ status: 'False', reason: 'SandboxNotReady', message: 'Sandbox is not ready' });
  });

  it('mirrors Finished from the Sandbox', () => {
    const s = computeClaimStatus(claim(), { sandbox: sandbox([cond('Ready', 'False', 'PodSucceeded'), cond('Finished', 'True', 'PodSucceeded')]) }, now);
    expect((s.conditions as Array<{ type: string }>).find((c) => c.type === 'Finished')).toMatchObject({ status: 'True', reason: 'PodSucceeded', observedGeneration: 3 });
  });

  it('changes lastTransitionTime only when the status changes, so an unchanged claim is not written', () => {
    const first = computeClaimStatus(claim(), { sandbox: sandbox([cond('Ready', 'True', 'DependenciesReady')]) }, now);
    const stored = claim(first.conditions as unknown[]);
    (stored as { status: unknown }).status = first;
    const again = computeClaimStatus(stored, { sandbox: sandbox([cond('Ready', 'True', 'DependenciesReady')]) }, new Date('2026-01-03T00:00:00Z'));
    expect(statusDiffers(first, again)).toBe(false);
    expect(ready(again)).toMatchObject({ lastTransitionTime: ready(first)!.lastTransitionTime });
    const changed = computeClaimStatus(stored, { sandbox: sandbox([cond('Ready', 'False', 'DependenciesNotReady')]) }, new Date('2026-01-03T00:00:00Z'));
    expect(statusDiffers(first, changed)).toBe(true);
  });

  it('clears in the patch what the status no longer has: a merge patch would keep the old pod IPs', () => {
    const before = computeClaimStatus(claim(), { sandbox: sandbox([cond('Ready', 'True', 'DependenciesReady')], ['10.244.0.7']) }, now);
    const gone = computeClaimStatus(claim(), { sandboxName: 'sb', unbound: { reason: 'SandboxMissing', message: 'Sandbox does not exist' } }, now);
    expect(gone.sandbox).toEqual({ name: 'sb' });
    expect(claimStatusPatch(before, gone).sandbox).toEqual({ name: 'sb', podIPs: null });
    expect(claimStatusPatch(before, before).sandbox).toEqual({ name: 'sb', podIPs: ['10.244.0.7'] });
    expect(claimStatusPatch(before, computeClaimStatus(claim(), {}, now)).sandbox).toBeNull();
  });
});
