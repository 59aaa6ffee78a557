import { describe, expect, it } from 'vitest';
import { templateHash } from './blueprint.ts';
import { sandboxFromTemplate, templateRefLabels } from './sandbox-from-template.ts';
import { nameHash } from './name-hash.ts';
import type { SandboxTemplate } from './kinds/sandbox-template.ts';

const template = {
  metadata: { name: 'tpl' },
  spec: {
    podTemplate: { metadata: { labels: { 'sandbox.users.io/runtime': 'python' } }, spec: { containers: [{ name: 'main', image: 'img' }] } },
    volumeClaimTemplates: [{ metadata: { name: 'w' }, spec: { accessModes: ['ReadWriteOnce'] } }],
  },
} as unknown as SandboxTemplate;
const owner = { apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxWarmPool', name: 'p', uid: 'u', controller: true };

describe('sandboxFromTemplate', () => {
  it('carries what comes from the template: blueprint with secure defaults, version hash, name and name-hash', () => {
    const sb = sandboxFromTemplate(template, { generateName: 'p-', namespace: 'ns', owner, launchType: 'warm' });
    expect(sb.metadata).toEqual({
      generateName: 'p-',
      namespace: 'ns',
      labels: { 'agents.x-k8s.io/sandbox-template-ref-hash': nameHash('tpl'), 'agents.x-k8s.io/sandbox-template-hash': templateHash(template), 'agents.x-k8s.io/launch-type': 'warm' },
      annotations: { 'agents.x-k8s.io/sandbox-template-ref': 'tpl' },
      ownerReferences: [owner],
    });
    expect(sb.spec.podTemplate.spec.automountServiceAccountToken).toBe(false);
    expect(sb.spec.podTemplate.metadata).toEqual({ labels: { 'sandbox.users.io/runtime': 'python' } });
    expect(sb.spec.volumeClaimTemplates).toEqual(template.spec.volumeClaimTemplates);
    expect(templateRefLabels('tpl')).toEqual({ 'agents.x-k8s.io/sandbox-template-ref-hash': nameHash('tpl') });
  });

  it('adds the caller\'s own: labels and annotations, pod metadata over the template\'s, containers and volume claim templates', () => {
    const sb = sandboxFromTemplate(template, {
      name: 'c1',
      namespace: 'ns',
      owner,
      launchType: 'cold',
      hash: 'given',
      labels: { 'agents.x-k8s.io/claim-uid': 'x' },
      annotations: { 'agents.x-k8s.io/pod-name': 'c1' },
      podMetadata: { labels: { 'sandbox.users.io/runtime': 'node' }, annotations: { 'sandbox.users.io/a': 'b' } },
      containers: [{ name: 'main', image: 'img', env: [{ name: 'A', value: '1' }] }],
      volumeClaimTemplates: [],
    });
    expect(sb.metadata.name).toBe('c1');
    expect(sb.metadata.labels).toMatchObject({ 'agents.x-k8s.io/claim-uid': 'x', 'agents.x-k8s.io/sandbox-template-hash': 'given', 'agents.x-k8s.io/launch-type': 'cold' });
    expect(sb.metadata.annotations).toEqual({ 'agents.x-k8s.io/sandbox-template-ref': 'tpl', 'agents.x-k8s.io/pod-name': 'c1' });
    expect(sb.spec.podTemplate.metadata).toEqual({ labels: { 'sandbox.users.io/runtime': 'node' }, annotations: { 'sandbox.users.io/a': 'b' } });
    expect(sb.spec.podTemplate.spec.containers[0]!.env).toEqual([{ name: 'A', value: '1' }]);
    expect(sb.spec.volumeClaimTemplates).toEqual([]);
    // The template is never changed.
    expect(template.spec.podTemplate.metadata?.labels).toEqual({ 'sandbox.users.io/runtime': 'python' });
  });

  it('asks for exactly one of name and generateName', () => {
    expect(() => sandboxFromTemplate(template, { namespace: 'ns', owner, launchType: 'warm' })).toThrow(/exactly one of name and generateName/);
    expect(() => sandboxFromTemplate(template, { name: 'a', generateName: 'b-', namespace: 'ns', owner, launchType: 'warm' })).toThrow(/exactly one/);
  });
});
