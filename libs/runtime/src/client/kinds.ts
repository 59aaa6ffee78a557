/** What the runtime needs to know about a kind to list, watch and write it. */
export interface ResourceKind {
  /** `''` for the core group. */
  group: string;
  version: string;
  kind: string;
  /** The lower-case plural of the REST path: `configmaps`. */
  plural: string;
  namespaced: boolean;
}

export function apiVersionOf(kind: ResourceKind): string {
  return kind.group ? `${kind.group}/${kind.version}` : kind.version;
}

/** `ConfigMap.v1` / `Lease.v1.coordination.k8s.io`: a name for logs, metrics and cache keys. */
export function kindId(kind: ResourceKind): string {
  return kind.group ? `${kind.kind}.${kind.version}.${kind.group}` : `${kind.kind}.${kind.version}`;
}

/** The collection path, in one namespace or (for namespaced kinds, without one) across all. */
export function collectionPath(kind: ResourceKind, namespace?: string): string {
  const base = kind.group ? `/apis/${kind.group}/${kind.version}` : `/api/${kind.version}`;
  const ns = kind.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${kind.plural}`;
}

export function objectPath(kind: ResourceKind, ref: { namespace?: string; name: string }, subresource?: string): string {
  if (kind.namespaced && !ref.namespace) throw new Error(`${kind.kind} ${ref.name}: a namespaced kind needs a namespace`);
  const path = `${collectionPath(kind, ref.namespace)}/${encodeURIComponent(ref.name)}`;
  return subresource ? `${path}/${subresource}` : path;
}

const core = (kind: string, plural: string, namespaced = true): ResourceKind => ({ group: '', version: 'v1', kind, plural, namespaced });

/** Built-in kinds the programs use. */
export const Kinds = {
  ConfigMap: core('ConfigMap', 'configmaps'),
  Secret: core('Secret', 'secrets'),
  Pod: core('Pod', 'pods'),
  Service: core('Service', 'services'),
  PersistentVolumeClaim: core('PersistentVolumeClaim', 'persistentvolumeclaims'),
  Event: core('Event', 'events'),
  Namespace: core('Namespace', 'namespaces', false),
  Lease: { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true },
  NetworkPolicy: { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true },
} as const satisfies Record<string, ResourceKind>;
