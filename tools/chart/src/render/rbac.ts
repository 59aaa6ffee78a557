/**
 * A program subchart's RBAC template, from the program's own apps/<program>/rbac.yaml (the rules
 * its integration tests run with): cluster-wide rules in a ClusterRole bound to the program's
 * ServiceAccount, and the Lease rules in a Role in the release namespace, where the program
 * keeps its leader-election Lease.
 *
 * Two shapes of rbac.yaml are read: one ClusterRole (whose Lease rules are moved into the Role),
 * or a ClusterRole plus a Role without a namespace. Both give the same chart template for the
 * same rules. The rules themselves, and their comments, are copied as written.
 */
import { Document, isMap, isSeq, parseAllDocuments, YAMLSeq, type Node } from 'yaml';

const RBAC_API = 'rbac.authorization.k8s.io/v1';

interface Rules {
  name: string;
  /** The `rules` sequence node, comments included. */
  rules: YAMLSeq;
}

function isLeaseRule(rule: Node): boolean {
  if (!isMap(rule)) return false;
  const plain = rule.toJSON() as { apiGroups?: string[]; resources?: string[] };
  return (plain.apiGroups ?? []).includes('coordination.k8s.io') && (plain.resources ?? []).includes('leases');
}

function leaseOnly(rule: Node, source: string): boolean {
  const plain = (rule as { toJSON(): { apiGroups?: string[]; resources?: string[] } }).toJSON();
  if (plain.apiGroups?.length !== 1 || (plain.resources ?? []).some((r) => r !== 'leases')) {
    throw new Error(`${source}: a rule on leases must name only coordination.k8s.io leases, so that it can go into the namespaced Role`);
  }
  return true;
}

function rulesOf(doc: Document, kind: string, source: string): Rules {
  const name = doc.getIn(['metadata', 'name']);
  if (typeof name !== 'string' || !name) throw new Error(`${source}: the ${kind} has no metadata.name`);
  const rules = doc.get('rules', true);
  if (!isSeq(rules)) throw new Error(`${source}: the ${kind} ${name} has no rules`);
  // A comment above the first rule belongs to the sequence: give it to the rule it describes.
  const first = rules.items[0] as Node | undefined;
  if (rules.commentBefore && first && !first.commentBefore) {
    first.commentBefore = rules.commentBefore;
    rules.commentBefore = undefined;
  }
  return { name, rules };
}

/** The ClusterRole's rules and the Lease Role's rules of an rbac.yaml. */
export function readRbac(text: string, source: string): { cluster: Rules; leases: Rules | undefined } {
  const docs = parseAllDocuments(text);
  let cluster: Rules | undefined;
  let role: Rules | undefined;
  for (const doc of docs) {
    if (!(doc instanceof Document)) throw new Error(`${source}: not YAML`);
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0]!.message}`);
    if (doc.contents === null) continue;
    const apiVersion = doc.get('apiVersion');
    const kind = doc.get('kind');
    if (apiVersion !== RBAC_API) throw new Error(`${source}: ${String(kind)} must be ${RBAC_API}, not ${String(apiVersion)}`);
    if (kind === 'ClusterRole') {
      if (cluster) throw new Error(`${source}: more than one ClusterRole`);
      cluster = rulesOf(doc, kind, source);
    } else if (kind === 'Role') {
      if (role) throw new Error(`${source}: more than one Role`);
      if (doc.getIn(['metadata', 'namespace']) !== undefined) {
        throw new Error(`${source}: the Role must not name a namespace: the chart puts it in the release namespace`);
      }
      role = rulesOf(doc, kind, source);
      for (const rule of role.rules.items) {
        if (!isLeaseRule(rule as Node)) throw new Error(`${source}: the Role is for leader election only; move other rules into the ClusterRole`);
        leaseOnly(rule as Node, source);
      }
    } else {
      throw new Error(`${source}: unexpected ${String(kind)}: rbac.yaml holds a ClusterRole and, optionally, a Role for Leases`);
    }
  }
  if (!cluster) throw new Error(`${source}: no ClusterRole`);

  // Today's single-ClusterRole shape: move its Lease rules into the Role.
  const moved = cluster.rules.items.filter((rule) => isLeaseRule(rule as Node) && leaseOnly(rule as Node, source));
  if (moved.length > 0 && role) throw new Error(`${source}: Lease rules in both the ClusterRole and the Role`);
  const kept = new YAMLSeq();
  kept.items = cluster.rules.items.filter((rule) => !moved.includes(rule));
  if (moved.length > 0) {
    const leases = new YAMLSeq();
    leases.items = moved;
    role = { name: `${cluster.name}-leader-election`, rules: leases };
  }
  return { cluster: { name: cluster.name, rules: kept }, leases: role };
}

function rulesYaml(rules: YAMLSeq): string {
  const doc = new Document();
  doc.contents = rules;
  return doc
    .toString({ lineWidth: 0, indentSeq: true, flowCollectionPadding: false })
    .trimEnd()
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

function header(kind: string, name: string, namespaced: boolean): string {
  return [
    `apiVersion: ${RBAC_API}`,
    `kind: ${kind}`,
    'metadata:',
    `  name: ${name}`,
    ...(namespaced ? ['  namespace: {{ .Release.Namespace }}'] : []),
    '  labels:',
    '    {{- include "agent-sandbox-lib.labels" . | nindent 4 }}',
  ].join('\n');
}

function binding(kind: 'ClusterRoleBinding' | 'RoleBinding', roleKind: 'ClusterRole' | 'Role', name: string): string {
  return [
    header(kind, name, kind === 'RoleBinding'),
    'roleRef:',
    '  apiGroup: rbac.authorization.k8s.io',
    `  kind: ${roleKind}`,
    `  name: ${name}`,
    'subjects:',
    '  - kind: ServiceAccount',
    '    name: {{ include "agent-sandbox-lib.name" . }}',
    '    namespace: {{ .Release.Namespace }}',
  ].join('\n');
}

/** The Helm template (templates/rbac.yaml) of a program subchart. */
export function renderRbacTemplate(text: string, source: string): string {
  const { cluster, leases } = readRbac(text, source);
  const parts = [
    `${header('ClusterRole', cluster.name, false)}\nrules:\n${rulesYaml(cluster.rules)}`,
    binding('ClusterRoleBinding', 'ClusterRole', cluster.name),
  ];
  if (leases) {
    parts.push(`${header('Role', leases.name, true)}\nrules:\n${rulesYaml(leases.rules)}`, binding('RoleBinding', 'Role', leases.name));
  }
  return [
    `{{- /* Generated from ${source} by tools/chart (npm run chart:generate); do not edit. */}}`,
    '{{- if .Values.enabled }}',
    parts.join('\n---\n'),
    '{{- end }}',
    '',
  ].join('\n');
}
