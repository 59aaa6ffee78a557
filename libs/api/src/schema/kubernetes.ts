/**
 * Schemas of Kubernetes types our kinds embed. PodSpec, PersistentVolumeClaimSpec and the
 * NetworkPolicy rules are the API server's own (imported by tools/codegen into
 * ../generated/kubernetes-schemas.json), so the API server validates a pod spec inside a
 * Sandbox exactly as deep as the CRD schema allows; the TypeScript types are client-node's.
 */
import type {
  V1NetworkPolicyEgressRule,
  V1NetworkPolicyIngressRule,
  V1PersistentVolumeClaimSpec,
  V1PodSpec,
} from '@kubernetes/client-node';
import imported from '../generated/kubernetes-schemas.json' with { type: 'json' };
import { array, dateTime, enumOf, external, integer, named, object, string, stringMap, type Infer, type JsonSchema, type Schema } from './builder.ts';

type EmbeddedName = 'PodSpec' | 'PersistentVolumeClaimSpec' | 'NetworkPolicyIngressRule' | 'NetworkPolicyEgressRule';

/**
 * The schema without its `enum` lists. The API server publishes them for documentation (the
 * descriptions name the values too); its own validation of a Pod or PVC is what enforces them.
 * The standard's CRDs embed these types without enums, so it stores a Sandbox whose pod spec
 * says `restartPolicy: Sometimes` and reports the Pod the API server refuses (ReconcilerError);
 * what the standard stores, we store.
 */
export function withoutEnums(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'enum') continue;
    if (key === 'properties') out.properties = Object.fromEntries(Object.entries(value as Record<string, JsonSchema>).map(([k, v]) => [k, withoutEnums(v)]));
    else if ((key === 'items' || key === 'additionalProperties') && typeof value === 'object' && value !== null) out[key] = withoutEnums(value as JsonSchema);
    else if ((key === 'anyOf' || key === 'allOf' || key === 'oneOf') && Array.isArray(value)) out[key] = value.map((v: JsonSchema) => withoutEnums(v));
    else out[key] = value;
  }
  return out;
}

const schemas = Object.fromEntries(
  Object.entries(imported.schemas as unknown as Record<EmbeddedName, JsonSchema>).map(([name, schema]) => [name, withoutEnums(schema)]),
) as Record<EmbeddedName, JsonSchema>;

/** The API server's own PodSpec schema (structural, with descriptions), for tools that validate pod fields elsewhere (the chart's values). */
export const EMBEDDED_POD_SPEC_SCHEMA: JsonSchema = schemas.PodSpec;

/** The Kubernetes version the embedded schemas come from. */
export const EMBEDDED_SCHEMAS_KUBERNETES_VERSION: string = imported.kubernetesVersion;

export const podSpec = (description: string): Schema<V1PodSpec> => external(description, schemas.PodSpec, 'core/v1 PodSpec');

export const persistentVolumeClaimSpec = (description: string): Schema<V1PersistentVolumeClaimSpec> =>
  external(description, schemas.PersistentVolumeClaimSpec, 'core/v1 PersistentVolumeClaimSpec');

export const networkPolicyIngressRule = (description: string): Schema<V1NetworkPolicyIngressRule> =>
  external(description, schemas.NetworkPolicyIngressRule, 'networking/v1 NetworkPolicyIngressRule');

export const networkPolicyEgressRule = (description: string): Schema<V1NetworkPolicyEgressRule> =>
  external(description, schemas.NetworkPolicyEgressRule, 'networking/v1 NetworkPolicyEgressRule');

/** metav1.Condition, with the same validation as Kubernetes' own types. */
export const condition = named(object(
  'One aspect of the current state of this object (metav1.Condition).',
  {
    type: string('Type of the condition, in CamelCase (e.g. `Ready`).', {
      maxLength: 316,
      pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
    }),
    status: enumOf('Status of the condition: True, False or Unknown.', ['True', 'False', 'Unknown']),
    observedGeneration: integer(
      'The .metadata.generation the condition was set for; older than the current generation means the condition is out of date.',
      { format: 'int64', minimum: 0 },
    ),
    lastTransitionTime: dateTime('When the condition last changed from one status to another.'),
    reason: string('A programmatic identifier (CamelCase) for the condition\'s last transition.', {
      minLength: 1,
      maxLength: 1024,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
    }),
    message: string('A human-readable message with details about the transition; may be empty.', { maxLength: 32768 }),
  },
  { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
), 'metav1.Condition');

export type Condition = Infer<typeof condition>;

/** `conditions`: a list of Condition keyed by `type`. */
export const conditions = (description: string) => array(description, condition, { listType: 'map', mapKeys: ['type'] });

/** Labels and annotations only (what a template's metadata may carry). */
export const labelsAndAnnotations = (description: string) =>
  object(description, {
    labels: stringMap('Labels, as on an object\'s metadata.'),
    annotations: stringMap('Annotations, as on an object\'s metadata.'),
  });
