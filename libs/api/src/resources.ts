/** Groups, version and resource names of the four kinds (no schemas: cheap to import). */

export const SANDBOX_GROUP = 'agents.x-k8s.io';
export const EXTENSIONS_GROUP = 'extensions.agents.x-k8s.io';
export const API_VERSION_NAME = 'v1beta1';

export interface ResourceInfo<Kind extends string = string> {
  group: string;
  version: string;
  /** `group/version`, as in an object's apiVersion. */
  apiVersion: string;
  kind: Kind;
  listKind: `${Kind}List`;
  plural: string;
  singular: string;
  shortNames: readonly string[];
  /** All four kinds live in namespaces (so a ResourceInfo also serves as the runtime's ResourceKind). */
  namespaced: true;
}

function resource<const K extends string>(group: string, kind: K, plural: string, shortNames: readonly string[]): ResourceInfo<K> {
  return {
    group,
    version: API_VERSION_NAME,
    apiVersion: `${group}/${API_VERSION_NAME}`,
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    shortNames,
    namespaced: true,
  };
}

export const SANDBOX = resource(SANDBOX_GROUP, 'Sandbox', 'sandboxes', ['sandbox']);
export const SANDBOX_TEMPLATE = resource(EXTENSIONS_GROUP, 'SandboxTemplate', 'sandboxtemplates', ['sandboxtemplate']);
export const SANDBOX_CLAIM = resource(EXTENSIONS_GROUP, 'SandboxClaim', 'sandboxclaims', ['sandboxclaim']);
export const SANDBOX_WARM_POOL = resource(EXTENSIONS_GROUP, 'SandboxWarmPool', 'sandboxwarmpools', ['swp']);

export const RESOURCES = [SANDBOX, SANDBOX_TEMPLATE, SANDBOX_CLAIM, SANDBOX_WARM_POOL] as const;
