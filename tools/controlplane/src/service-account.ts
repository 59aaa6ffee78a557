/**
 * A program run on this machine with the identity it has in a cluster: a ServiceAccount bound
 * to its rules, and a kubeconfig carrying a token of that ServiceAccount. The API server, RBAC
 * and admission webhooks then see the user name they would see from the program's Pod.
 */
import { readFileSync } from 'node:fs';
import { CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

export interface ServiceAccountOptions {
  /** The program's namespace: its ServiceAccount, and its namespaced rules, live there. */
  namespace: string;
  name: string;
  /**
   * The program's rules (apps/<program>/rbac.yaml): one ClusterRole with the cluster-wide rules
   * and at most one Role without a namespace (bound in `namespace`, as at install time).
   */
  rbacFile: string;
  /** Name of the ClusterRole and its binding, when not the manifest's own (tests running side by side each bind their own). */
  roleName?: string;
  fieldManager: string;
  /** Lifetime of the token; the kubeconfig is not refreshed (default 30 days). */
  tokenSeconds?: number;
}

type Named = KubernetesObject & { metadata: { name: string; namespace?: string } };

/** The ClusterRole and the optional namespace-less Role of an rbac.yaml, checked. */
export function readProgramRbac(file: string): { clusterRole: Named; role?: Named } {
  const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Named | null).filter((d): d is Named => d !== null);
  const clusterRoles = docs.filter((d) => d.kind === 'ClusterRole');
  const roles = docs.filter((d) => d.kind === 'Role');
  const others = docs.filter((d) => d.kind !== 'ClusterRole' && d.kind !== 'Role');
  if (clusterRoles.length !== 1) throw new Error(`${file}: holds ${clusterRoles.length} ClusterRoles; exactly one expected`);
  if (roles.length > 1) throw new Error(`${file}: holds ${roles.length} Roles; at most one expected`);
  if (others.length > 0) throw new Error(`${file}: holds a ${others[0]!.kind}; only a ClusterRole and a Role belong there`);
  if (roles[0]?.metadata.namespace) throw new Error(`${file}: the Role has a namespace; it takes the program's namespace at install time`);
  return { clusterRole: clusterRoles[0]!, role: roles[0] };
}

/**
 * Applies the ServiceAccount (and its namespace), the ClusterRole with a ClusterRoleBinding,
 * and the Role with a RoleBinding in the ServiceAccount's namespace; returns a kubeconfig for it.
 */
export async function serviceAccountKubeConfig(kc: KubeConfig, options: ServiceAccountOptions): Promise<KubeConfig> {
  const { namespace, name } = options;
  const rbac = readProgramRbac(options.rbacFile);
  const clusterRole = { ...rbac.clusterRole, metadata: { ...rbac.clusterRole.metadata, name: options.roleName ?? rbac.clusterRole.metadata.name } };
  const subjects = [{ kind: 'ServiceAccount', name, namespace }];
  const objects: KubernetesObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
    clusterRole,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: clusterRole.metadata.name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole.metadata.name },
      subjects,
    } as KubernetesObject,
  ];
  if (rbac.role) {
    const role = { ...rbac.role, metadata: { ...rbac.role.metadata, namespace } };
    objects.push(role, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: role.metadata.name, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name },
      subjects,
    } as KubernetesObject);
  }
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const object of objects) await api.patch(object, undefined, undefined, options.fieldManager, true, PatchStrategy.ServerSideApply);

  const { status } = await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: options.tokenSeconds ?? 30 * 24 * 3600 } },
  });
  const cluster = kc.getCurrentCluster();
  if (!cluster || !status?.token) throw new Error(`no token for ServiceAccount ${namespace}/${name}`);
  const asAccount = new KubeConfig();
  asAccount.loadFromOptions({
    clusters: [cluster],
    users: [{ name: `${namespace}/${name}`, token: status.token }],
    contexts: [{ name: 'default', cluster: cluster.name, user: `${namespace}/${name}` }],
    currentContext: 'default',
  });
  return asAccount;
}
