import { describe, expect, it } from 'vitest';
import type { SandboxObject } from '../kinds.ts';
import { desiredPodMetadata, podMetadataPatch, PROPAGATED_ANNOTATION } from './pod-metadata.ts';

const sandbox = (labels: Record<string, string>, annotations: Record<string, string>, meta: Partial<SandboxObject['metadata']> = {}): SandboxObject => ({
  apiVersion: 'agents.x-k8s.io/v1beta1',
  kind: 'Sandbox',
  metadata: { name: 's', namespace: 'n', uid: 'u', ...meta },
  spec: { podTemplate: { metadata: { labels, annotations }, spec: { containers: [] } } },
});

describe('pod metadata', () => {
  it('propagates user keys, never reserved ones or the trace context, and records what it propagated', () => {
    const m = desiredPodMetadata(
      sandbox({ team: 'a', 'agents.x-k8s.io/sandbox-name-hash': 'forged', 'extensions.agents.x-k8s.io/x': '1' }, { note: 'n', 'opentelemetry.io/trace-context': '{}', 'agents.x-k8s.io/pod-name': 'p' }),
      'abcd0123',
    );
    expect(m.labels).toEqual({ team: 'a', 'agents.x-k8s.io/sandbox-name-hash': 'abcd0123' });
    expect(m.annotations).toEqual({ note: 'n', [PROPAGATED_ANNOTATION]: '{"labels":["team"],"annotations":["note"]}' });
  });

  it('carries the extension labels, the warm-pool one only under a pool', () => {
    const labels = { 'agents.x-k8s.io/warm-pool-sandbox': 'h', 'agents.x-k8s.io/claim-uid': 'c', 'agents.x-k8s.io/created-by': 'controller', 'agents.x-k8s.io/sandbox-template-ref-hash': 't', 'agents.x-k8s.io/launch-type': 'warm' };
    const free = desiredPodMetadata(sandbox({}, {}, { labels }), 'x');
    expect(free.labels).toEqual({ 'agents.x-k8s.io/claim-uid': 'c', 'agents.x-k8s.io/created-by': 'controller', 'agents.x-k8s.io/sandbox-template-ref-hash': 't', 'agents.x-k8s.io/sandbox-name-hash': 'x' });
    const pooled = desiredPodMetadata(sandbox({}, {}, { labels, ownerReferences: [{ apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxWarmPool', name: 'p', uid: 'pu', controller: true }] }), 'x');
    expect(pooled.labels['agents.x-k8s.io/warm-pool-sandbox']).toBe('h');
  });

  it('patches changed keys, removes dropped propagated keys and stale extension labels, leaves others\' keys', () => {
    const before = desiredPodMetadata(sandbox({ team: 'a', keep: 'k' }, { note: 'n' }, { labels: { 'agents.x-k8s.io/claim-uid': 'c1' } }), 'x');
    const pod = { metadata: { labels: { ...before.labels, foreign: 'f' }, annotations: { ...before.annotations, theirs: 't' } } };
    const after = desiredPodMetadata(sandbox({ team: 'b' }, {}), 'x');
    expect(podMetadataPatch(pod, after)).toEqual({
      labels: { team: 'b', keep: null, 'agents.x-k8s.io/claim-uid': null },
      annotations: { [PROPAGATED_ANNOTATION]: '{"labels":["team"],"annotations":[]}', note: null },
    });
    expect(podMetadataPatch({ metadata: { labels: after.labels, annotations: after.annotations } }, after)).toBeUndefined();
  });

  it('removes nothing it has no record of (an unreadable record counts as empty)', () => {
    const want = desiredPodMetadata(sandbox({}, {}), 'x');
    const pod = { metadata: { labels: { 'agents.x-k8s.io/sandbox-name-hash': 'x', other: 'o' }, annotations: { [PROPAGATED_ANNOTATION]: 'not json' } } };
    expect(podMetadataPatch(pod, want)).toEqual({ annotations: { [PROPAGATED_ANNOTATION]: want.annotations[PROPAGATED_ANNOTATION] } });
  });

  it('marks the Pod of an unclaimed pool member safe to evict, and takes that away once a claim controls it', () => {
    const pool = { ownerReferences: [{ apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxWarmPool', name: 'p', uid: 'pu', controller: true }] };
    const claim = { ownerReferences: [{ apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxClaim', name: 'c', uid: 'cu', controller: true }] };
    const member = desiredPodMetadata(sandbox({}, {}, pool), 'x');
    expect(member.annotations['cluster-autoscaler.kubernetes.io/safe-to-evict']).toBe('true');
    const claimed = desiredPodMetadata(sandbox({}, {}, claim), 'x');
    expect(claimed.annotations).not.toHaveProperty('cluster-autoscaler.kubernetes.io/safe-to-evict');
    expect(podMetadataPatch({ metadata: { labels: member.labels, annotations: member.annotations } }, claimed)?.annotations).toMatchObject({ 'cluster-autoscaler.kubernetes.io/safe-to-evict': null });
    // The template's own value wins, under a pool or not.
    expect(desiredPodMetadata(sandbox({}, { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' }, pool), 'x').annotations['cluster-autoscaler.kubernetes.io/safe-to-evict']).toBe('false');
  });
});
