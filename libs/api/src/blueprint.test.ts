import { describe, expect, it } from 'vitest';
import { sandboxBlueprint, stableJson, templateHash } from './blueprint.ts';

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
