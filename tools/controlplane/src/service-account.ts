/**
 * A program run on this machine with the identity it has in a cluster: a ServiceAccount bound
 * to its ClusterRole, and a kubeconfig carrying a token of that ServiceAccount. The API server,
 * RBAC and admission webhooks then see the user name they would see from the program's Pod.
 */
import { readFileSync } from 'node:fs';
import { CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';

export interface ServiceAccountOptions {
  namespace: string;
  name: string;
  /** A manifest holding the one ClusterRole to bind (e.g. apps/<program>/rbac.yaml). */
  clusterRoleFile: string;
  /** Name of the ClusterRole and its binding, when not the manifest's own (tests running side by side each bind their own). */
  roleName?: string;
  fieldManager: string;
  /** Lifetime of the token; the kubeconfig is not refreshed (default 30 days). */
  tokenSeconds?: number;
}

/** Applies the ServiceAccount (and its namespace), the ClusterRole and a binding; returns a kubeconfig for it. */
export async function serviceAccountKubeConfig(kc: KubeConfig, options: ServiceAccountOptions): Promise<KubeConfig> {
  const { namespace, name } = options;
  const manifest = parse(readFileSync(options.clusterRoleFile, 'utf8')) as KubernetesObject & { metadata: { name: string } };
  if (manifest?.kind !== 'ClusterRole') throw new Error(`${options.clusterRoleFile} does not hold a ClusterRole`);
  const role = { ...manifest, metadata: { ...manifest.metadata, name: options.roleName ?? manifest.metadata.name } };
  const objects: KubernetesObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
    role,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: role.metadata.name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    } as KubernetesObject,
  ];
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
