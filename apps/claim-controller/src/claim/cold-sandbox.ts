/**
 * A claim started cold: a Sandbox named after the claim, made from the pool's template, with
 * the claim's env and volume claim templates as far as the template's policies allow.
 */
import type { V1Container, V1EnvVar } from '@kubernetes/client-node';
import {
  ClaimReason,
  CLAIM_UID_LABEL,
  CREATED_BY_LABEL,
  POD_NAME_ANNOTATION,
  SANDBOX_TEMPLATE_DEFAULTS,
  sandboxBlueprint,
  sandboxFromTemplate,
  type VolumeClaimTemplate,
} from '@agent-sandbox/api';
import type { KubeObject, OwnerReference } from '@agent-sandbox/runtime';
import type { ClaimObject, TemplateObject } from '../kinds.ts';

export interface Rejection {
  reason: typeof ClaimReason.EnvVarsInjectionRejected | typeof ClaimReason.VolumeClaimTemplatesError;
  message: string;
}

/** The containers with the claim's env applied, or why the template's policy refuses it. */
export function applyEnv(containers: readonly V1Container[], claim: ClaimObject, template: TemplateObject): V1Container[] | Rejection {
  const env = claim.spec.env ?? [];
  const out = containers.map((c) => ({ ...c, ...(c.env ? { env: [...c.env] } : {}) }));
  if (env.length === 0) return out;
  const policy = template.spec.envVarsInjectionPolicy ?? SANDBOX_TEMPLATE_DEFAULTS.envVarsInjectionPolicy;
  const reject = (message: string): Rejection => ({ reason: ClaimReason.EnvVarsInjectionRejected, message });
  // Stored as the standard stores it; a variable without a name could never reach a container.
  const unnamed = env.findIndex((v) => !v.name);
  if (unnamed !== -1) return reject(`spec.env[${unnamed}].name must not be empty`);
  if (policy === 'Disallowed') return reject(`template ${template.metadata.name} does not allow claims to set env (envVarsInjectionPolicy Disallowed)`);
  for (const v of env) {
    const container = v.containerName === undefined ? out[0] : out.find((c) => c.name === v.containerName);
    if (!container) return reject(`env ${v.name}: no container ${v.containerName ?? '(first)'} in the template`);
    const list: V1EnvVar[] = (container.env ??= []);
    const i = list.findIndex((e) => e.name === v.name);
    if (i === -1) list.push({ name: v.name, value: v.value });
    else if (policy === 'Overrides') list[i] = { name: v.name, value: v.value };
    else return reject(`env ${v.name} is set by the template in container ${container.name}; envVarsInjectionPolicy Allowed adds new names only`);
  }
  return out;
}

/** The template's volume claim templates with the claim's added or replaced, or why the policy refuses it. */
export function applyVolumeClaimTemplates(base: readonly VolumeClaimTemplate[] | undefined, claim: ClaimObject, template: TemplateObject): VolumeClaimTemplate[] | undefined | Rejection {
  const extra = claim.spec.volumeClaimTemplates ?? [];
  if (extra.length === 0) return base ? [...base] : undefined;
  const policy = template.spec.volumeClaimTemplatesPolicy ?? SANDBOX_TEMPLATE_DEFAULTS.volumeClaimTemplatesPolicy;
  const reject = (message: string): Rejection => ({ reason: ClaimReason.VolumeClaimTemplatesError, message });
  const named = volumeClaimTemplateNameProblem(extra);
  if (named) return reject(named);
  if (policy === 'Disallowed') return reject(`template ${template.metadata.name} does not allow claims to add volumeClaimTemplates (volumeClaimTemplatesPolicy Disallowed)`);
  const out = [...(base ?? [])];
  for (const vct of extra) {
    const i = out.findIndex((t) => t.metadata.name === vct.metadata.name);
    if (i === -1) out.push(vct);
    else if (policy === 'Overrides') out[i] = vct;
    else return reject(`volumeClaimTemplate ${vct.metadata.name} is defined by the template; volumeClaimTemplatesPolicy Allowed adds new names only`);
  }
  return out;
}

/**
 * What is wrong with the names of a claim's volume claim templates, if anything. The schema
 * stores empty and repeated names, as the standard's does; the claim answers them instead.
 */
export function volumeClaimTemplateNameProblem(templates: readonly VolumeClaimTemplate[]): string | undefined {
  const seen = new Map<string, number>();
  for (const [i, vct] of templates.entries()) {
    const name = vct.metadata?.name ?? '';
    if (name === '') return `spec.volumeClaimTemplates[${i}].metadata.name must not be empty`;
    const first = seen.get(name);
    if (first !== undefined) return `spec.volumeClaimTemplates[${i}].metadata.name "${name}" repeats spec.volumeClaimTemplates[${first}]; each name makes one PersistentVolumeClaim`;
    seen.set(name, i);
  }
  return undefined;
}

export function isRejection(x: unknown): x is Rejection {
  return typeof x === 'object' && x !== null && 'reason' in x && 'message' in x;
}

export function createdByOf(claim: ClaimObject): string {
  return claim.metadata.labels?.[CREATED_BY_LABEL] ?? 'unknown';
}

/** The cold Sandbox for `claim`, or the rejection its template's policies give. */
export function coldSandbox(claim: ClaimObject, template: TemplateObject, owner: OwnerReference): KubeObject | Rejection {
  const blueprint = sandboxBlueprint(template);
  const containers = applyEnv(blueprint.podTemplate.spec.containers, claim, template);
  if (isRejection(containers)) return containers;
  const vcts = applyVolumeClaimTemplates(blueprint.volumeClaimTemplates, claim, template);
  if (isRejection(vcts)) return vcts;
  return sandboxFromTemplate(template, {
    name: claim.metadata.name,
    namespace: claim.metadata.namespace!,
    owner,
    launchType: 'cold',
    labels: { [CLAIM_UID_LABEL]: claim.metadata.uid!, [CREATED_BY_LABEL]: createdByOf(claim) },
    annotations: { [POD_NAME_ANNOTATION]: claim.metadata.name! },
    podMetadata: claim.spec.additionalPodMetadata,
    containers,
    volumeClaimTemplates: vcts,
  }) as KubeObject;
}
