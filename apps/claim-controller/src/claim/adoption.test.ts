import { describe, expect, it } from 'vitest';
import type { ClaimObject, SandboxObject } from '../kinds.ts';
import { adoptionPatch } from './adoption.ts';

const claim = (spec: Partial<ClaimObject['spec']> = {}): ClaimObject =>
  ({ apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxClaim', metadata: { name: 'c', namespace: 'n', uid: 'cu' }, spec: { warmPoolRef: { name: 'p' }, ...spec } }) as ClaimObject;
const member = (podAnnotations?: Record<string, string>): SandboxObject =>
  ({
    apiVersion: 'agents.x-k8s.io/v1beta1',
    kind: 'Sandbox',
    metadata: { name: 'p-x', namespace: 'n', uid: 'su', resourceVersion: '7', ownerReferences: [{ apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxWarmPool', name: 'p', uid: 'pu', controller: true }] },
    spec: { podTemplate: { ...(podAnnotations ? { metadata: { annotations: podAnnotations } } : {}), spec: { containers: [] } } },
  }) as SandboxObject;

describe('adoptionPatch', () => {
  it('locks on the member, moves the controller to the claim, and leaves the spec alone for a claim without pod metadata', () => {
    const patch = adoptionPatch(claim(), member()) as { metadata: { resourceVersion: string; ownerReferences: Array<{ uid: string; controller?: boolean }> }; spec?: unknown };
    expect(patch.metadata.resourceVersion).toBe('7');
    expect(patch.metadata.ownerReferences.filter((r) => r.controller).map((r) => r.uid)).toEqual(['cu']);
    expect(patch).not.toHaveProperty('spec');
  });

  it('puts the claim\'s pod metadata on the pod template, and takes away a safe-to-evict an earlier version put there', () => {
    expect(adoptionPatch(claim({ additionalPodMetadata: { labels: { 'sandbox.users.io/team': 'a' } } }), member()).spec).toEqual({ podTemplate: { metadata: { labels: { 'sandbox.users.io/team': 'a' } } } });
    expect(adoptionPatch(claim(), member({ 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true' })).spec).toEqual({ podTemplate: { metadata: { annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': null } } } });
    expect(adoptionPatch(claim({ additionalPodMetadata: { annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' } } }), member({ 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true' })).spec).toEqual({
      podTemplate: { metadata: { annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' } } },
    });
  });
});
