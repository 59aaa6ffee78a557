import { nameHash, ROUTER_APP_LABEL, SANDBOX_TEMPLATE, TEMPLATE_REF_HASH_LABEL } from '@agent-sandbox/api';
import type { NetworkPolicyObject, TemplateObject } from '../kinds.ts';

export const networkPolicyName = (templateName: string): string => `${templateName}-network-policy`;

/** Private, link-local and unique-local ranges the secure default keeps sandboxes away from. */
export const PRIVATE_IPV4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16'];
export const PRIVATE_IPV6 = ['fc00::/7', 'fe80::/10'];

/** NetworkPolicy rules as they travel on the wire (`from`, not the client library's `_from`). */
export interface WireRules {
  ingress: unknown[];
  egress: unknown[];
}

/**
 * The secure default: ingress only from the sandbox router's Pods (in any namespace, since the
 * router is usually installed in its own), egress only to public addresses.
 */
export function secureDefaultRules(): WireRules {
  return {
    ingress: [{ from: [{ podSelector: { matchLabels: { [ROUTER_APP_LABEL.key]: ROUTER_APP_LABEL.value } }, namespaceSelector: {} }] }],
    egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE_IPV4 } }, { ipBlock: { cidr: '::/0', except: PRIVATE_IPV6 } }] }],
  };
}

/**
 * The template's NetworkPolicy: selecting the template's sandboxes by the ref-hash label,
 * always both policy types (an absent or empty list of the template's rules denies that
 * direction), owned by the template.
 */
export function desiredNetworkPolicy(template: TemplateObject): NetworkPolicyObject {
  const name = template.metadata.name!;
  const custom = template.spec.networkPolicy;
  const rules: WireRules = custom ? { ingress: custom.ingress ?? [], egress: custom.egress ?? [] } : secureDefaultRules();
  const spec = {
    podSelector: { matchLabels: { [TEMPLATE_REF_HASH_LABEL]: nameHash(name) } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: rules.ingress,
    egress: rules.egress,
  };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: networkPolicyName(name),
      namespace: template.metadata.namespace,
      labels: { [TEMPLATE_REF_HASH_LABEL]: nameHash(name) },
      ownerReferences: [{ apiVersion: SANDBOX_TEMPLATE.apiVersion, kind: SANDBOX_TEMPLATE.kind, name, uid: template.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: spec as NetworkPolicyObject['spec'],
  };
}

/**
 * Whether `actual` holds everything `desired` says: objects key by key, lists element by
 * element with equal lengths. Fields only the server added (defaults) do not count as drift.
 */
export function covers(actual: unknown, desired: unknown): boolean {
  if (Array.isArray(desired)) {
    // The server drops empty lists: absent is what an empty list looks like once stored.
    if (desired.length === 0 && (actual === undefined || actual === null)) return true;
    return Array.isArray(actual) && actual.length === desired.length && desired.every((d, i) => covers(actual[i], d));
  }
  if (desired !== null && typeof desired === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    return Object.entries(desired).every(([k, v]) => v === undefined || covers((actual as Record<string, unknown>)[k], v));
  }
  return actual === desired;
}

export function networkPolicyUpToDate(current: NetworkPolicyObject, desired: NetworkPolicyObject): boolean {
  return covers(current.spec, desired.spec) && covers(current.metadata.labels ?? {}, desired.metadata.labels);
}
