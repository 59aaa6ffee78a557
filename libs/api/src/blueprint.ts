/**
 * What a Sandbox made from a template looks like, and the hash that says which version of the
 * template a Sandbox was made from. Shared by the warmpool-orchestrator (members) and the
 * claim-controller (cold starts, staleness): one implementation, so the hashes agree.
 */
import type { SandboxSpec } from './kinds/sandbox.ts';
import type { SandboxTemplate } from './kinds/sandbox-template.ts';
import { SANDBOX_TEMPLATE_DEFAULTS } from './kinds/values.ts';
import { TEMPLATE_HASH_LABEL, TEMPLATE_REF_HASH_LABEL } from './keys.ts';
import { fnv1a32, nameHash } from './name-hash.ts';

/** Public resolvers for sandboxes under the secure default NetworkPolicy (cluster DNS is blocked there). */
export const PUBLIC_NAMESERVERS = ['8.8.8.8', '1.1.1.1'] as const;

type TemplateLike = Pick<SandboxTemplate, 'spec'>;

/** Whether the template runs under the secure default NetworkPolicy (managed, no rules of its own). */
export function usesSecureDefaultPolicy(template: TemplateLike): boolean {
  const management = template.spec.networkPolicyManagement ?? SANDBOX_TEMPLATE_DEFAULTS.networkPolicyManagement;
  return management === 'Managed' && template.spec.networkPolicy === undefined;
}

/**
 * The blueprint a Sandbox gets from a template: pod template, volume claim templates and
 * service, with the secure defaults of docs/api.md: no service-account token unless the template
 * asks for one, and public DNS under the secure default policy when no dnsPolicy is set.
 */
export function sandboxBlueprint(template: TemplateLike): Pick<SandboxSpec, 'podTemplate' | 'volumeClaimTemplates' | 'service'> {
  const spec = structuredClone(template.spec.podTemplate.spec);
  if (spec.automountServiceAccountToken === undefined) spec.automountServiceAccountToken = false;
  if (spec.dnsPolicy === undefined && usesSecureDefaultPolicy(template)) {
    spec.dnsPolicy = 'None';
    spec.dnsConfig = { ...spec.dnsConfig, nameservers: spec.dnsConfig?.nameservers?.length ? spec.dnsConfig.nameservers : [...PUBLIC_NAMESERVERS] };
  }
  const metadata = template.spec.podTemplate.metadata;
  return {
    podTemplate: { ...(metadata ? { metadata: structuredClone(metadata) } : {}), spec },
    ...(template.spec.volumeClaimTemplates ? { volumeClaimTemplates: structuredClone(template.spec.volumeClaimTemplates) } : {}),
    ...(template.spec.service !== undefined ? { service: template.spec.service } : {}),
  };
}

/** JSON with object keys sorted, so equal values hash equally whatever order they were written in. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The parts of a blueprint that make a Sandbox what it is: the pod spec, the volume claim templates and `service`. */
type BlueprintContent = Pick<SandboxSpec, 'podTemplate' | 'volumeClaimTemplates' | 'service'>;

/**
 * FNV-1a of a blueprint's content: the pod spec, volume claim templates and `service`. The pod
 * template's metadata is left out: labels and annotations alone do not make a member stale.
 */
export function blueprintHash(blueprint: BlueprintContent): string {
  return fnv1a32(stableJson({ podTemplate: { spec: blueprint.podTemplate.spec }, volumeClaimTemplates: blueprint.volumeClaimTemplates, service: blueprint.service }));
}

/** `agents.x-k8s.io/sandbox-template-hash`: the content hash of the blueprint a Sandbox gets from the template. */
export function templateHash(template: TemplateLike): string {
  return blueprintHash(sandboxBlueprint(template));
}

/** Content hashes of specs already seen: a spec object in a cache is replaced, never changed, on update. */
const specHashes = new WeakMap<object, string>();

/**
 * Whether a pool member is made from the pool's template as it is now (API.md, SandboxWarmPool:
 * staleness). It is stale when its template-ref hash is not the hash of `templateName` (the pool
 * was pointed at another template, even one with an identical spec), or when its blueprint
 * differs from the template's; `currentHash` is `templateHash` of that template. A matching
 * `sandbox-template-hash` label is the shortcut; otherwise the member's own spec is hashed.
 */
export function isFreshMember(member: { metadata: { labels?: Record<string, string> }; spec: BlueprintContent }, templateName: string, currentHash: string): boolean {
  const labels = member.metadata.labels ?? {};
  if (labels[TEMPLATE_REF_HASH_LABEL] !== nameHash(templateName)) return false;
  if (labels[TEMPLATE_HASH_LABEL] === currentHash) return true;
  let hash = specHashes.get(member.spec);
  if (hash === undefined) {
    hash = blueprintHash(member.spec);
    specHashes.set(member.spec, hash);
  }
  return hash === currentHash;
}

/**
 * A Sandbox for the cache of a program that reads of its spec only whether it is fresh
 * (`isFreshMember`) and the pod template's metadata, not the pod spec (claim-controller,
 * warmpool-orchestrator): the pod spec and volume claim templates, most of a Sandbox's bytes,
 * are replaced by an empty pod spec, and the hash of what they were is remembered for `isFreshMember`. A Sandbox
 * from no template (no template-ref label) can never be fresh, so it is not hashed at all.
 * Returns a new object; `sandbox` is not changed.
 */
export function withoutPodTemplate<T extends { metadata: { labels?: Record<string, string> }; spec: BlueprintContent }>(sandbox: T): T {
  const spec = sandbox.spec;
  if (!spec?.podTemplate) return sandbox;
  const { podTemplate, volumeClaimTemplates: _vcts, ...rest } = spec;
  // The pod template's metadata (small) stays: adoption reads it.
  const slim = { ...rest, podTemplate: { ...(podTemplate.metadata ? { metadata: podTemplate.metadata } : {}), spec: { containers: [] } } } as unknown as T['spec'];
  if (sandbox.metadata.labels?.[TEMPLATE_REF_HASH_LABEL] !== undefined) specHashes.set(slim, blueprintHash(spec));
  return { ...sandbox, spec: slim };
}
