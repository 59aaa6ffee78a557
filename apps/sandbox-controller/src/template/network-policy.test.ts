import { describe, expect, it } from 'vitest';
import type { TemplateObject } from '../kinds.ts';
import { covers, desiredNetworkPolicy, networkPolicyUpToDate } from './network-policy.ts';

const tpl = (spec: Partial<TemplateObject['spec']> = {}): TemplateObject => ({
  apiVersion: 'extensions.agents.x-k8s.io/v1beta1',
  kind: 'SandboxTemplate',
  metadata: { name: 'python', namespace: 'n', uid: 'tu' },
  spec: { podTemplate: { spec: { containers: [] } }, ...spec },
});

describe('template NetworkPolicy', () => {
  it('is the secure default without rules: router ingress, public egress only', () => {
    const np = desiredNetworkPolicy(tpl());
    expect(np.metadata.name).toBe('python-network-policy');
    const spec = np.spec as unknown as Record<string, unknown>;
    expect(spec.podSelector).toEqual({ matchLabels: { 'agents.x-k8s.io/sandbox-template-ref-hash': expect.stringMatching(/^[0-9a-f]{8}$/) } });
    expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(JSON.stringify(spec.ingress)).toContain('"app":"sandbox-router"');
    expect(JSON.stringify(spec.egress)).toContain('"except":["10.0.0.0/8","172.16.0.0/12","192.168.0.0/16","169.254.0.0/16"]');
    expect(JSON.stringify(spec.egress)).toContain('"except":["fc00::/7","fe80::/10"]');
    expect(np.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'SandboxTemplate', uid: 'tu', controller: true });
  });

  it('uses the template\'s rules, an absent direction denying', () => {
    const np = desiredNetworkPolicy(tpl({ networkPolicy: { ingress: [{ ports: [{ port: 80 }] }] } as never }));
    const spec = np.spec as unknown as Record<string, unknown>;
    expect(spec.ingress).toEqual([{ ports: [{ port: 80 }] }]);
    expect(spec.egress).toEqual([]);
  });

  it('counts server defaults as no drift, and changed or extra rules as drift', () => {
    expect(covers({ a: 1, b: [{ c: 2, d: 'TCP' }] }, { a: 1, b: [{ c: 2 }] })).toBe(true);
    expect(covers({ a: 1, b: [{ c: 2 }, { c: 3 }] }, { a: 1, b: [{ c: 2 }] })).toBe(false);
    expect(covers({ a: 2 }, { a: 1 })).toBe(false);
    expect(covers({}, { a: [] })).toBe(true);
    const want = desiredNetworkPolicy(tpl());
    expect(networkPolicyUpToDate(want, want)).toBe(true);
    expect(networkPolicyUpToDate({ ...want, spec: { ...want.spec!, ingress: [{}] } }, want)).toBe(false);
  });
});
