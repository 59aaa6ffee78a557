import { describe, expect, it } from 'vitest';
import type { ClaimObject, TemplateObject } from '../kinds.ts';
import { applyEnv, applyVolumeClaimTemplates, coldSandbox, isRejection } from './cold-sandbox.ts';

const template = (spec: Record<string, unknown> = {}): TemplateObject =>
  ({
    metadata: { name: 'tpl', namespace: 'ns' },
    spec: {
      podTemplate: {
        metadata: { labels: { 'sandbox.users.io/runtime': 'python' } },
        spec: { containers: [{ name: 'main', image: 'img', env: [{ name: 'MODE', value: 'safe' }] }, { name: 'side', image: 'img2' }] },
      },
      volumeClaimTemplates: [{ metadata: { name: 'workspace' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      ...spec,
    },
  }) as unknown as TemplateObject;

const claim = (spec: Record<string, unknown> = {}): ClaimObject =>
  ({
    metadata: { name: 'c1', namespace: 'ns', uid: 'uid-1', labels: { 'agents.x-k8s.io/created-by': 'python-client' } },
    spec: { warmPoolRef: { name: 'pool' }, ...spec },
  }) as unknown as ClaimObject;

const containers = (t: TemplateObject) => t.spec.podTemplate.spec.containers;

describe('applyEnv: the template decides what a claim may set', () => {
  it('refuses any env under Disallowed (the default)', () => {
    const out = applyEnv(containers(template()), claim({ env: [{ name: 'NEW', value: '1' }] }), template());
    expect(out).toEqual({ reason: 'EnvVarsInjectionRejected', message: expect.stringContaining('envVarsInjectionPolicy Disallowed') });
  });

  it('adds new names under Allowed, refuses to replace the template\'s', () => {
    const t = template({ envVarsInjectionPolicy: 'Allowed' });
    const added = applyEnv(containers(t), claim({ env: [{ name: 'NEW', value: '1' }, { name: 'SIDE', value: '2', containerName: 'side' }] }), t);
    expect(isRejection(added)).toBe(false);
    expect((added as { env?: unknown[] }[])[0]!.env).toEqual([{ name: 'MODE', value: 'safe' }, { name: 'NEW', value: '1' }]);
    expect((added as { env?: unknown[] }[])[1]!.env).toEqual([{ name: 'SIDE', value: '2' }]);
    expect(applyEnv(containers(t), claim({ env: [{ name: 'MODE', value: 'unsafe' }] }), t)).toMatchObject({
      reason: 'EnvVarsInjectionRejected',
      message: expect.stringContaining('env MODE is set by the template'),
    });
    // The template's own containers are not modified in place.
    expect(containers(t)[0]!.env).toEqual([{ name: 'MODE', value: 'safe' }]);
  });

  it('replaces under Overrides, and names a missing container', () => {
    const t = template({ envVarsInjectionPolicy: 'Overrides' });
    const out = applyEnv(containers(t), claim({ env: [{ name: 'MODE', value: 'fast' }] }), t) as { env?: unknown[] }[];
    expect(out[0]!.env).toEqual([{ name: 'MODE', value: 'fast' }]);
    expect(applyEnv(containers(t), claim({ env: [{ name: 'X', value: '1', containerName: 'nope' }] }), t)).toMatchObject({
      message: 'env X: no container nope in the template',
    });
  });
});

describe('applyVolumeClaimTemplates', () => {
  const extra = (name: string) => ({ metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } });

  it('refuses under Disallowed, adds under Allowed, replaces by name only under Overrides', () => {
    const base = template().spec.volumeClaimTemplates;
    expect(applyVolumeClaimTemplates(base, claim({ volumeClaimTemplates: [extra('data')] }), template())).toMatchObject({ reason: 'VolumeClaimTemplatesError' });
    const allowed = template({ volumeClaimTemplatesPolicy: 'Allowed' });
    expect((applyVolumeClaimTemplates(base, claim({ volumeClaimTemplates: [extra('data')] }), allowed) as { metadata: { name: string } }[]).map((v) => v.metadata.name)).toEqual([
      'workspace',
      'data',
    ]);
    expect(applyVolumeClaimTemplates(base, claim({ volumeClaimTemplates: [extra('workspace')] }), allowed)).toMatchObject({ reason: 'VolumeClaimTemplatesError' });
    const overrides = template({ volumeClaimTemplatesPolicy: 'Overrides' });
    const replaced = applyVolumeClaimTemplates(base, claim({ volumeClaimTemplates: [extra('workspace')] }), overrides) as ReturnType<typeof extra>[];
    expect(replaced).toEqual([extra('workspace')]);
  });

  it('answers an empty or repeated name, whatever the policy, naming the entry', () => {
    const base = template().spec.volumeClaimTemplates;
    const allowed = template({ volumeClaimTemplatesPolicy: 'Allowed' });
    expect(applyVolumeClaimTemplates(base, claim({ volumeClaimTemplates: [extra('data'), extra('')] }), allowed)).toEqual({
      reason: 'VolumeClaimTemplatesError',
      message: 'spec.volumeClaimTemplates[1].metadata.name must not be empty',
    });
    expect(applyVolumeClaimTemplates(base, claim({ volumeClaimTemplates: [extra('data'), extra('x'), extra('data')] }), template())).toEqual({
      reason: 'VolumeClaimTemplatesError',
      message: 'spec.volumeClaimTemplates[2].metadata.name "data" repeats spec.volumeClaimTemplates[0]; each name makes one PersistentVolumeClaim',
    });
  });
});

describe('applyEnv: names', () => {
  it('answers a variable without a name', () => {
    const t = template({ envVarsInjectionPolicy: 'Allowed' });
    expect(applyEnv(containers(t), claim({ env: [{ name: 'A', value: '1' }, { name: '', value: '2' }] }), t)).toEqual({
      reason: 'EnvVarsInjectionRejected',
      message: 'spec.env[1].name must not be empty',
    });
  });
});

describe('coldSandbox', () => {
  it('is named after the claim, owned by it, labelled cold with the claim uid, creator and template hashes', () => {
    const owner = { apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxClaim', name: 'c1', uid: 'uid-1', controller: true };
    const sb = coldSandbox(claim({ additionalPodMetadata: { labels: { 'sandbox.users.io/run': '7' } } }), template(), owner) as {
      metadata: { name: string; labels: Record<string, string>; ownerReferences: unknown[] };
      spec: { podTemplate: { metadata: { labels: Record<string, string> } } };
    };
    expect(sb.metadata.name).toBe('c1');
    expect(sb.metadata.ownerReferences).toEqual([owner]);
    expect(sb.metadata.labels).toMatchObject({
      'agents.x-k8s.io/claim-uid': 'uid-1',
      'agents.x-k8s.io/created-by': 'python-client',
      'agents.x-k8s.io/launch-type': 'cold',
      'agents.x-k8s.io/sandbox-template-ref-hash': expect.stringMatching(/^[0-9a-f]{8}$/),
      'agents.x-k8s.io/sandbox-template-hash': expect.stringMatching(/^[0-9a-f]{8}$/),
    });
    expect(sb.spec.podTemplate.metadata.labels).toEqual({ 'sandbox.users.io/runtime': 'python', 'sandbox.users.io/run': '7' });
  });
});
