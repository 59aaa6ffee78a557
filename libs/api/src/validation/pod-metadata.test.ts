import { describe, expect, it } from 'vitest';
import { formatFieldErrors } from './field-error.ts';
import { validateAdditionalPodMetadata } from './pod-metadata.ts';

const paths = (errors: { path: string }[]) => errors.map((e) => e.path);

describe('validateAdditionalPodMetadata', () => {
  it('accepts nothing at all, and keys in the allowed domain and its subdomains', () => {
    expect(validateAdditionalPodMetadata(undefined)).toEqual([]);
    expect(validateAdditionalPodMetadata({})).toEqual([]);
    expect(
      validateAdditionalPodMetadata({
        labels: { 'sandbox.users.io/team': 'ml', 'eu.sandbox.users.io/region': 'west-1' },
        annotations: { 'example.com/owner': 'alice', note: 'free text: anything goes', 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' },
      }),
    ).toEqual([]);
  });

  it('refuses label keys outside the allowed domains, with the field path', () => {
    const errors = validateAdditionalPodMetadata({
      labels: { team: 'ml', 'example.com/team': 'ml', 'users.io/x': 'y', 'notsandbox.users.io/x': 'y' },
    });
    expect(paths(errors)).toEqual([
      'spec.additionalPodMetadata.labels[team]',
      'spec.additionalPodMetadata.labels[example.com/team]',
      'spec.additionalPodMetadata.labels[users.io/x]',
      'spec.additionalPodMetadata.labels[notsandbox.users.io/x]',
    ]);
    expect(errors.every((e) => e.type === 'Forbidden')).toBe(true);
  });

  it('takes the allowed label domains from its options', () => {
    const options = { allowedLabelDomains: ['example.com'] };
    expect(validateAdditionalPodMetadata({ labels: { 'ml.example.com/team': 'a' } }, options)).toEqual([]);
    expect(paths(validateAdditionalPodMetadata({ labels: { 'sandbox.users.io/team': 'a' } }, options))).toEqual([
      'spec.additionalPodMetadata.labels[sandbox.users.io/team]',
    ]);
  });

  it('refuses the router label app=sandbox-router even where app is allowed', () => {
    const errors = validateAdditionalPodMetadata({ labels: { app: 'sandbox-router' } }, { allowedLabelDomains: [''] });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.detail).toMatch(/router/);
  });

  it('refuses annotation keys under kubernetes.io, k8s.io, agents.x-k8s.io and their subdomains, except safe-to-evict', () => {
    const errors = validateAdditionalPodMetadata({
      annotations: {
        'kubernetes.io/description': 'x',
        'node.kubernetes.io/x': 'x',
        'k8s.io/x': 'x',
        'sigs.k8s.io/x': 'x',
        'agents.x-k8s.io/pod-name': 'x',
        'extensions.agents.x-k8s.io/x': 'x',
        'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true',
        'notkubernetes.io/x': 'fine',
      },
    });
    expect(paths(errors)).toEqual([
      'spec.additionalPodMetadata.annotations[kubernetes.io/description]',
      'spec.additionalPodMetadata.annotations[node.kubernetes.io/x]',
      'spec.additionalPodMetadata.annotations[k8s.io/x]',
      'spec.additionalPodMetadata.annotations[sigs.k8s.io/x]',
      'spec.additionalPodMetadata.annotations[agents.x-k8s.io/pod-name]',
      'spec.additionalPodMetadata.annotations[extensions.agents.x-k8s.io/x]',
    ]);
  });

  it('refuses changing a value the template sets, but allows repeating it', () => {
    const template = { labels: { 'sandbox.users.io/tier': 'gold' }, annotations: { 'example.com/owner': 'platform' } };
    expect(validateAdditionalPodMetadata({ labels: { 'sandbox.users.io/tier': 'gold' }, annotations: { 'example.com/owner': 'platform' } }, { template })).toEqual([]);
    const errors = validateAdditionalPodMetadata(
      { labels: { 'sandbox.users.io/tier': 'free' }, annotations: { 'example.com/owner': 'me' } },
      { template },
    );
    expect(paths(errors)).toEqual([
      'spec.additionalPodMetadata.labels[sandbox.users.io/tier]',
      'spec.additionalPodMetadata.annotations[example.com/owner]',
    ]);
    expect(formatFieldErrors(errors)).toMatch(/template sets sandbox\.users\.io\/tier to "gold"/);
  });

  it('checks Kubernetes key and value syntax', () => {
    const errors = validateAdditionalPodMetadata({
      labels: {
        'sandbox.users.io/ok': 'has space',
        'sandbox.users.io/long': 'x'.repeat(64),
        'sandbox.users.io/-bad': 'v',
        'Sandbox.Users.io/x': 'v',
        'a/b/c': 'v',
      },
      annotations: { '/x': 'v', 'example.com/': 'v', ['n'.repeat(64)]: 'v' },
    });
    expect(paths(errors)).toEqual([
      'spec.additionalPodMetadata.labels[sandbox.users.io/ok]',
      'spec.additionalPodMetadata.labels[sandbox.users.io/long]',
      'spec.additionalPodMetadata.labels[sandbox.users.io/-bad]',
      'spec.additionalPodMetadata.labels[Sandbox.Users.io/x]',
      'spec.additionalPodMetadata.labels[a/b/c]',
      'spec.additionalPodMetadata.annotations[/x]',
      'spec.additionalPodMetadata.annotations[example.com/]',
      `spec.additionalPodMetadata.annotations[${'n'.repeat(64)}]`,
    ]);
    expect(errors.every((e) => e.type === 'Invalid')).toBe(true);
  });

  it('limits the total size of the annotations', () => {
    const errors = validateAdditionalPodMetadata({ annotations: { 'example.com/a': 'x'.repeat(200 * 1024), 'example.com/b': 'x'.repeat(60 * 1024) } });
    expect(errors).toEqual([expect.objectContaining({ path: 'spec.additionalPodMetadata.annotations', type: 'TooLong' })]);
  });

  it('formats errors the way the API server does', () => {
    const [error] = validateAdditionalPodMetadata({ labels: { team: 'ml' } });
    expect(formatFieldErrors([error!])).toBe(
      'spec.additionalPodMetadata.labels[team]: Forbidden: "team": label keys must use an allowed domain (sandbox.users.io or a subdomain)',
    );
  });
});
