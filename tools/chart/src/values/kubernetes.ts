/**
 * Kubernetes types inside chart values (affinity, tolerations, resources, security contexts…),
 * validated as strictly as our own keys: their schemas come from the API server's own PodSpec
 * (embedded in libs/api), turned into plain JSON Schema with `additionalProperties: false` on
 * every object, so `resources.limts` or `tolerations[0].efect` is refused at `helm install`
 * rather than silently dropped.
 */
import { EMBEDDED_POD_SPEC_SCHEMA, type JsonSchema } from '@agent-sandbox/api/crds';

/** Keywords of structural schemas that JSON Schema validators do not need (or know). */
const DROPPED = new Set(['description', 'default', 'format', 'nullable']);

/** A structural (CRD-style) schema as strict JSON Schema. */
export function strictJsonSchema(structural: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(structural)) {
    if (DROPPED.has(key) || key.startsWith('x-kubernetes-')) continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value as Record<string, JsonSchema>).map(([k, v]) => [k, strictJsonSchema(v)]));
    } else if (key === 'items' || (key === 'additionalProperties' && typeof value === 'object')) {
      out[key] = strictJsonSchema(value as JsonSchema);
    } else if (key === 'anyOf' || key === 'allOf' || key === 'oneOf') {
      out[key] = (value as JsonSchema[]).map(strictJsonSchema);
    } else {
      out[key] = value;
    }
  }
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

const pod = EMBEDDED_POD_SPEC_SCHEMA.properties as Record<string, JsonSchema>;
const container = ((pod.containers as JsonSchema).items as JsonSchema).properties as Record<string, JsonSchema>;
const itemsOf = (s: JsonSchema) => s.items as JsonSchema;

/** metav1.LabelSelector, as the PodSpec carries it inside a pod affinity term. */
function labelSelector(): JsonSchema {
  const props = (s: JsonSchema) => s.properties as Record<string, JsonSchema>;
  const podAffinity = props(pod.affinity!).podAffinity!;
  const term = itemsOf(props(podAffinity).requiredDuringSchedulingIgnoredDuringExecution!);
  return props(term).labelSelector!;
}

/** The Kubernetes types chart values use, by the name they have under `definitions`. */
export const KUBERNETES_DEFINITIONS: Readonly<Record<string, JsonSchema>> = {
  Affinity: strictJsonSchema(pod.affinity!),
  Toleration: strictJsonSchema(itemsOf(pod.tolerations!)),
  TopologySpreadConstraint: strictJsonSchema(itemsOf(pod.topologySpreadConstraints!)),
  PodSecurityContext: strictJsonSchema(pod.securityContext!),
  SecurityContext: strictJsonSchema(container.securityContext!),
  ResourceRequirements: strictJsonSchema(container.resources!),
  EnvVar: strictJsonSchema(itemsOf(container.env!)),
  LocalObjectReference: strictJsonSchema(itemsOf(pod.imagePullSecrets!)),
  LabelSelector: strictJsonSchema(labelSelector()),
};

export type KubernetesType = keyof typeof KUBERNETES_DEFINITIONS;

/** `{ $ref }` to one of the definitions above. */
export function ref(type: KubernetesType): JsonSchema {
  return { $ref: `#/definitions/${type}` };
}
