import {
  CLAIM_UID_LABEL,
  CREATED_BY_LABEL,
  SAFE_TO_EVICT_ANNOTATION,
  SANDBOX_NAME_HASH_LABEL,
  SANDBOX_WARM_POOL,
  TEMPLATE_REF_HASH_LABEL,
  userAnnotations,
  userLabels,
  WARM_POOL_SANDBOX_LABEL,
} from '@agent-sandbox/api';
import { controllerOf, type KubeObject } from '@agent-sandbox/runtime';
import type { SandboxObject } from '../kinds.ts';

/**
 * Pod annotation recording which template labels and annotations this program put on the Pod,
 * so a key the template later drops is removed from the Pod while keys others added stay.
 * JSON `{"labels": [...], "annotations": [...]}` (sorted keys).
 */
export const PROPAGATED_ANNOTATION = 'agents.x-k8s.io/propagated-metadata';

/** Sandbox labels that reach its Pod as they are (the warm-pool one only while a pool owns it). */
export const EXTENSION_LABELS = [WARM_POOL_SANDBOX_LABEL, TEMPLATE_REF_HASH_LABEL, CLAIM_UID_LABEL, CREATED_BY_LABEL] as const;

export interface PodMetadata {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface Record_ {
  labels: string[];
  annotations: string[];
}

/**
 * The labels and annotations a sandbox's Pod should carry, the record annotation included. The
 * Pod of an unclaimed pool member may be evicted to pack nodes (`safe-to-evict: "true"`, unless
 * the template says otherwise); it is recorded like a propagated key, so it goes when a claim
 * takes the member. Decided here from the controller, not written into the member's pod
 * template, so that taking a member does not change its spec (nor make its status say a new
 * generation).
 */
export function desiredPodMetadata(sandbox: SandboxObject, hash: string): PodMetadata {
  const template = sandbox.spec.podTemplate.metadata;
  const propagatedLabels = userLabels(template?.labels);
  const propagatedAnnotations = userAnnotations(template?.annotations);
  if (ownedByPool(sandbox) && !(SAFE_TO_EVICT_ANNOTATION in propagatedAnnotations)) propagatedAnnotations[SAFE_TO_EVICT_ANNOTATION] = 'true';
  const labels: Record<string, string> = { ...propagatedLabels, ...extensionLabels(sandbox), [SANDBOX_NAME_HASH_LABEL]: hash };
  const record: Record_ = { labels: Object.keys(propagatedLabels).sort(), annotations: Object.keys(propagatedAnnotations).sort() };
  const annotations: Record<string, string> = { ...propagatedAnnotations, [PROPAGATED_ANNOTATION]: JSON.stringify(record) };
  return { labels, annotations };
}

function extensionLabels(sandbox: SandboxObject): Record<string, string> {
  const from = sandbox.metadata.labels ?? {};
  const out: Record<string, string> = {};
  for (const key of EXTENSION_LABELS) {
    const value = from[key];
    if (value === undefined) continue;
    if (key === WARM_POOL_SANDBOX_LABEL && !ownedByPool(sandbox)) continue;
    out[key] = value;
  }
  return out;
}

function ownedByPool(sandbox: SandboxObject): boolean {
  const ref = controllerOf(sandbox);
  return ref?.kind === SANDBOX_WARM_POOL.kind && ref.apiVersion.startsWith(`${SANDBOX_WARM_POOL.group}/`);
}

/** What the Pod's record annotation says was propagated (nothing when absent or unreadable). */
export function propagatedKeys(pod: KubeObject): Record_ {
  const raw = pod.metadata.annotations?.[PROPAGATED_ANNOTATION];
  if (!raw) return { labels: [], annotations: [] };
  try {
    const parsed = JSON.parse(raw) as Partial<Record_>;
    const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    return { labels: strings(parsed.labels), annotations: strings(parsed.annotations) };
  } catch {
    return { labels: [], annotations: [] };
  }
}

/**
 * The JSON merge patch of `metadata.labels` / `metadata.annotations` that takes an existing
 * Pod to `desired`: changed values set, keys propagated before and dropped since (and
 * extension labels the Sandbox no longer has) set to null. Undefined when nothing differs.
 */
export function podMetadataPatch(pod: KubeObject, desired: PodMetadata): { labels?: Record<string, string | null>; annotations?: Record<string, string | null> } | undefined {
  const before = propagatedKeys(pod);
  const labels = diff(pod.metadata.labels ?? {}, desired.labels, [...before.labels, ...EXTENSION_LABELS]);
  const annotations = diff(pod.metadata.annotations ?? {}, desired.annotations, before.annotations);
  if (!labels && !annotations) return undefined;
  return { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) };
}

function diff(current: Record<string, string>, desired: Record<string, string>, removable: readonly string[]): Record<string, string | null> | undefined {
  const patch: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(desired)) if (current[key] !== value) patch[key] = value;
  for (const key of removable) if (!(key in desired) && key in current) patch[key] = null;
  return Object.keys(patch).length > 0 ? patch : undefined;
}
