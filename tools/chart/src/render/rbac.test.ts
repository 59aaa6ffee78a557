import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { readRbac, renderRbacTemplate } from './rbac.ts';

const TODAY = `# header comment about the program
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: agent-sandbox-example
rules:
  # Widgets: read.
  - apiGroups: [example.io]
    resources: [widgets]
    verbs: [get, list, watch]
  # Leader election.
  - apiGroups: [coordination.k8s.io]
    resources: [leases]
    verbs: [get, create, update]
  - apiGroups: ['']
    resources: [events]
    verbs: [create, patch]
`;

/** The shape apps/<program>/rbac.yaml takes with a namespaced Role for the Lease. */
const SPLIT = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: agent-sandbox-example
rules:
  # Widgets: read.
  - apiGroups: [example.io]
    resources: [widgets]
    verbs: [get, list, watch]
  - apiGroups: ['']
    resources: [events]
    verbs: [create, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: agent-sandbox-example-leader-election
rules:
  # Leader election.
  - apiGroups: [coordination.k8s.io]
    resources: [leases]
    verbs: [get, create, update]
`;

/** The template rendered as Helm would with `enabled: true` in namespace `ns` (only the actions used here). */
function render(template: string): Record<string, unknown>[] {
  const text = template
    .replace(/^\{\{- \/\*.*\*\/\}\}\n/m, '')
    .replace(/^\{\{- (if|end)[^}]*\}\}\n?/gm, '')
    .replace(/^\s*\{\{- include "agent-sandbox-lib.labels" . \| nindent 4 \}\}\n/gm, '    app.kubernetes.io/part-of: agent-sandbox\n')
    .replaceAll('{{ .Release.Namespace }}', 'ns')
    .replaceAll('{{ include "agent-sandbox-lib.name" . }}', 'example');
  return parseAllDocuments(text).map((d) => d.toJSON() as Record<string, unknown>);
}

describe('RBAC from apps/<program>/rbac.yaml', () => {
  it('moves the Lease rules of a lone ClusterRole into a Role in the release namespace', () => {
    const objects = render(renderRbacTemplate(TODAY, 'apps/example/rbac.yaml'));
    expect(objects.map((o) => o.kind)).toEqual(['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
    const [clusterRole, clusterBinding, role, roleBinding] = objects as {
      metadata: { name: string; namespace?: string };
      rules?: { resources: string[] }[];
      roleRef?: { kind: string; name: string };
      subjects?: unknown[];
    }[];
    expect(clusterRole!.rules!.map((r) => r.resources)).toEqual([['widgets'], ['events']]);
    expect(role!.metadata).toMatchObject({ name: 'agent-sandbox-example-leader-election', namespace: 'ns' });
    expect(role!.rules).toEqual([{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }]);
    expect(clusterBinding!.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'agent-sandbox-example' });
    expect(roleBinding!.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'agent-sandbox-example-leader-election' });
    for (const binding of [clusterBinding!, roleBinding!]) {
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'example', namespace: 'ns' }]);
    }
  });

  it('renders a ClusterRole plus a namespace-less Role exactly as the single ClusterRole with the same rules', () => {
    expect(renderRbacTemplate(SPLIT, 'apps/example/rbac.yaml')).toBe(renderRbacTemplate(TODAY, 'apps/example/rbac.yaml'));
  });

  it('keeps the comments that say why each rule exists', () => {
    const template = renderRbacTemplate(TODAY, 'apps/example/rbac.yaml');
    expect(template).toContain('  # Widgets: read.\n  - apiGroups: [example.io]');
    expect(template).toContain('  # Leader election.\n  - apiGroups: [coordination.k8s.io]');
    expect(template).not.toContain('header comment');
  });

  it('renders no Role for a program without a Lease', () => {
    const objects = render(renderRbacTemplate(TODAY.replace(/ {2}# Leader election.\n.*\n.*\n.*\n/, ''), 'apps/example/rbac.yaml'));
    expect(objects.map((o) => o.kind)).toEqual(['ClusterRole', 'ClusterRoleBinding']);
  });

  it('refuses shapes the chart cannot place, naming the file and the rule', () => {
    expect(() => readRbac(SPLIT.replace('name: agent-sandbox-example-leader-election', 'name: x\n  namespace: kube-system'), 'apps/a/rbac.yaml')).toThrow(
      'apps/a/rbac.yaml: the Role must not name a namespace',
    );
    expect(() => readRbac(TODAY.replace('resources: [leases]', 'resources: [leases, leases/status]'), 'apps/a/rbac.yaml')).toThrow(
      /apps\/a\/rbac.yaml: a rule on leases must name only coordination.k8s.io leases/,
    );
    expect(() => readRbac(SPLIT.replace('resources: [leases]', 'resources: [configmaps]').replace('[coordination.k8s.io]', "['']"), 'apps/a/rbac.yaml')).toThrow(
      'the Role is for leader election only',
    );
    expect(() => readRbac(TODAY.replace('kind: ClusterRole', 'kind: ClusterRoleBinding'), 'apps/a/rbac.yaml')).toThrow('unexpected ClusterRoleBinding');
    expect(() => readRbac(SPLIT + TODAY.replace('# header comment about the program\n', '---\n'), 'apps/a/rbac.yaml')).toThrow('more than one ClusterRole');
  });
});
