import { describe, expect, it } from 'vitest';
import { isFreshMember, sandboxBlueprint, stableJson, templateHash, withoutPodTemplate } from './blueprint.ts';
import { nameHash } from './name-hash.ts';

const template = (spec: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}) =>
  ({ spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'img:1' }], ...podSpec } }, ...spec } }) as never;

describe('sandboxBlueprint', () => {
  it('turns the service-account token off unless the template sets it', () => {
    expect(sandboxBlueprint(template()).podTemplate.spec.automountServiceAccountToken).toBe(false);
    expect(sandboxBlueprint(template({}, { automountServiceAccountToken: true })).podTemplate.spec.automountServiceAccountToken).toBe(true);
  });

  it('uses public DNS under the secure default policy only, and never over a dnsPolicy of the template', () => {
    const secure = sandboxBlueprint(template()).podTemplate.spec;
    expect(secure.dnsPolicy).toBe('None');
    expect(secure.dnsConfig?.nameservers).toEqual(['8.8.8.8', '1.1.1.1']);
    expect(sandboxBlueprint(template({}, { dnsPolicy: 'ClusterFirst' })).podTemplate.spec.dnsPolicy).toBe('ClusterFirst');
    expect(sandboxBlueprint(template({ networkPolicy: { egress: [] } })).podTemplate.spec.dnsPolicy).toBeUndefined();
    expect(sandboxBlueprint(template({ networkPolicyManagement: 'Unmanaged' })).podTemplate.spec.dnsPolicy).toBeUndefined();
  });

  it('does not modify the template', () => {
    const t = template();
    sandboxBlueprint(t);
    expect((t as { spec: { podTemplate: { spec: object } } }).spec.podTemplate.spec).not.toHaveProperty('automountServiceAccountToken');
  });
});

describe('templateHash', () => {
  it('is a stable golden value (members made before an upgrade must not all look stale after it)', () => {
    expect(templateHash(template())).toBe('00811343');
  });

  it('ignores key order and policy fields that do not reach the sandbox, and changes with the pod spec', () => {
    expect(stableJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    expect(templateHash(template({ envVarsInjectionPolicy: 'Allowed' }))).toBe(templateHash(template()));
    expect(templateHash(template({}, { hostname: 'x' }))).not.toBe(templateHash(template()));
  });
});

describe('isFreshMember', () => {
  const withMeta = (labels: Record<string, string>) => template({ podTemplate: { metadata: { labels }, spec: { containers: [{ name: 'main', image: 'img:1' }] } } });
  const member = (t: never, templateName: string, hashLabel = templateHash(t)) => {
    const blueprint = sandboxBlueprint(t);
    return {
      metadata: { labels: { 'agents.x-k8s.io/sandbox-template-ref-hash': nameHash(templateName), 'agents.x-k8s.io/sandbox-template-hash': hashLabel } },
      // As a member is made: the template's pod metadata plus the pool's safe-to-evict annotation.
      spec: { ...blueprint, podTemplate: { metadata: { ...blueprint.podTemplate.metadata, annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true' } }, spec: blueprint.podTemplate.spec } },
    };
  };

  it('is fresh when made from the pool\'s current template, by the hash label or by content', () => {
    const t = template();
    expect(isFreshMember(member(t, 'a'), 'a', templateHash(t))).toBe(true);
    // An older hash label (another formula, or metadata in the hash) with the same content.
    expect(isFreshMember(member(t, 'a', 'deadbeef'), 'a', templateHash(t))).toBe(true);
  });

  it('is stale once the pool points at another template, even one with an identical spec', () => {
    const t = template();
    expect(isFreshMember(member(t, 'a'), 'b', templateHash(t))).toBe(false);
  });

  it('ignores the pod template\'s labels and annotations, not its spec, volume claim templates or service', () => {
    const before = withMeta({ team: 'a' });
    const after = withMeta({ team: 'b' });
    expect(templateHash(after)).toBe(templateHash(before));
    expect(isFreshMember(member(before, 'a', 'deadbeef'), 'a', templateHash(after))).toBe(true);
    for (const changed of [template({}, { hostname: 'x' }), template({ service: true }), template({ volumeClaimTemplates: [{ metadata: { name: 'd' }, spec: {} }] })]) {
      expect(isFreshMember(member(before, 'a', 'deadbeef'), 'a', templateHash(changed))).toBe(false);
    }
  });

  it('answers the same for a member cached without its pod template', () => {
    const t = template();
    const changed = template({}, { hostname: 'x' });
    for (const [m, name, hash] of [[member(t, 'a'), 'a', templateHash(t)], [member(t, 'a', 'deadbeef'), 'a', templateHash(t)], [member(t, 'a'), 'b', templateHash(t)], [member(t, 'a', 'deadbeef'), 'a', templateHash(changed)]] as const) {
      const slim = withoutPodTemplate(m);
      expect(slim.spec.podTemplate.spec.containers).toEqual([]);
      expect(slim.spec.podTemplate.metadata).toEqual(m.spec.podTemplate.metadata);
      expect(slim.spec).not.toHaveProperty('volumeClaimTemplates');
      expect(m.spec.podTemplate.spec.containers).toHaveLength(1); // the original is left as it was
      expect(isFreshMember(slim, name, hash)).toBe(isFreshMember(m, name, hash));
    }
  });
});
