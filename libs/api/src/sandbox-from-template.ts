/**
 * The one way a Sandbox is made from a SandboxTemplate, for the three places that make one: a
 * warm-pool member (warmpool-orchestrator), a claim's cold Sandbox (claim-controller), and the
 * labels a claim puts on a member it takes (claim-controller). What comes from the template is
 * decided here once: the blueprint with its secure defaults, the template-version hash, the
 * template's name and name-hash; the callers add only what is theirs.
 */
import type { V1Container, V1OwnerReference } from '@kubernetes/client-node';
import { sandboxBlueprint, templateHash } from './blueprint.ts';
import { LAUNCH_TYPE_LABEL, TEMPLATE_HASH_LABEL, TEMPLATE_REF_ANNOTATION, TEMPLATE_REF_HASH_LABEL, type LaunchType } from './keys.ts';
import type { VolumeClaimTemplate } from './kinds/blueprint.ts';
import type { Sandbox } from './kinds/sandbox.ts';
import type { SandboxTemplate } from './kinds/sandbox-template.ts';
import { nameHash } from './name-hash.ts';
import { SANDBOX } from './resources.ts';

type Template = Pick<SandboxTemplate, 'spec'> & { metadata: { name?: string } };

export interface SandboxFromTemplateOptions {
  namespace: string;
  /** The Sandbox's name; or `generateName` for the API server to complete. */
  name?: string;
  generateName?: string;
  /** Its controller (the pool or the claim). */
  owner: V1OwnerReference;
  launchType: LaunchType;
  /** The template-version hash, when the caller has it already (else computed). */
  hash?: string;
  /** Labels and annotations of the Sandbox besides the template's. */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Labels and annotations of the pod template, over the template's own. */
  podMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  /** The containers instead of the template's (a claim's env applied to them). */
  containers?: V1Container[];
  /** The volume claim templates instead of the template's (a claim's added to them). */
  volumeClaimTemplates?: VolumeClaimTemplate[];
}

/** The labels that say which template (by name) a Sandbox comes from. */
export function templateRefLabels(templateName: string): Record<string, string> {
  return { [TEMPLATE_REF_HASH_LABEL]: nameHash(templateName) };
}

export function sandboxFromTemplate(template: Template, options: SandboxFromTemplateOptions): Sandbox {
  const templateName = template.metadata.name;
  if (!templateName) throw new Error('sandboxFromTemplate: the template has no name');
  if (!options.name === !options.generateName) throw new Error('sandboxFromTemplate: give exactly one of name and generateName');
  const blueprint = sandboxBlueprint(template);
  const meta = blueprint.podTemplate.metadata ?? {};
  const labels = { ...meta.labels, ...options.podMetadata?.labels };
  const annotations = { ...meta.annotations, ...options.podMetadata?.annotations };
  const podMetadata = {
    ...(Object.keys(labels).length ? { labels } : {}),
    ...(Object.keys(annotations).length ? { annotations } : {}),
  };
  return {
    apiVersion: SANDBOX.apiVersion,
    kind: SANDBOX.kind,
    metadata: {
      ...(options.name ? { name: options.name } : { generateName: options.generateName }),
      namespace: options.namespace,
      labels: {
        ...options.labels,
        ...templateRefLabels(templateName),
        [TEMPLATE_HASH_LABEL]: options.hash ?? templateHash(template),
        [LAUNCH_TYPE_LABEL]: options.launchType,
      },
      annotations: { [TEMPLATE_REF_ANNOTATION]: templateName, ...options.annotations },
      ownerReferences: [options.owner],
    },
    spec: {
      ...blueprint,
      podTemplate: {
        ...(Object.keys(podMetadata).length ? { metadata: podMetadata } : {}),
        spec: { ...blueprint.podTemplate.spec, ...(options.containers ? { containers: options.containers } : {}) },
      },
      ...(options.volumeClaimTemplates ? { volumeClaimTemplates: options.volumeClaimTemplates } : {}),
    },
  } as Sandbox;
}
