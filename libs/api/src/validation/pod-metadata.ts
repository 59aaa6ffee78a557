/**
 * Validation of a claim's `spec.additionalPodMetadata` (docs/api.md, SandboxClaim). The one
 * implementation, used by the claim-controller (reason InvalidMetadata) and the admission
 * webhook (rejection).
 */
import { ROUTER_APP_LABEL, SAFE_TO_EVICT_ANNOTATION } from '../keys.ts';
import type { FieldError } from './field-error.ts';
import { isDomainOrSubdomain, labelValueProblems, qualifiedNameProblems, splitKey, TOTAL_ANNOTATION_SIZE_LIMIT } from './syntax.ts';

export const DEFAULT_ALLOWED_LABEL_DOMAINS: readonly string[] = ['sandbox.users.io'];

/** Annotation key domains (with their subdomains) a claim may not use. */
export const RESTRICTED_ANNOTATION_DOMAINS: readonly string[] = ['kubernetes.io', 'k8s.io', 'agents.x-k8s.io'];

/** Annotation keys allowed although their domain is restricted. */
export const ALLOWED_RESTRICTED_ANNOTATIONS: readonly string[] = [SAFE_TO_EVICT_ANNOTATION];

export interface PodMetadata {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface PodMetadataValidationOptions {
  /** Label key domains a claim may use, each with its subdomains (default: sandbox.users.io). */
  allowedLabelDomains?: readonly string[];
  /** The template's pod metadata: a claim may add keys but not change their values. */
  template?: PodMetadata;
  /** Field path of the metadata (default `spec.additionalPodMetadata`). */
  path?: string;
}

export function validateAdditionalPodMetadata(
  metadata: PodMetadata | undefined,
  options: PodMetadataValidationOptions = {},
): FieldError[] {
  const base = options.path ?? 'spec.additionalPodMetadata';
  const allowedDomains = options.allowedLabelDomains ?? DEFAULT_ALLOWED_LABEL_DOMAINS;
  const errors: FieldError[] = [];

  for (const [key, value] of Object.entries(metadata?.labels ?? {})) {
    const path = `${base}.labels[${key}]`;
    const keyProblems = qualifiedNameProblems(key);
    for (const detail of keyProblems) errors.push({ path, type: 'Invalid', value: key, detail });
    for (const detail of labelValueProblems(value)) errors.push({ path, type: 'Invalid', value, detail });
    if (keyProblems.length > 0) continue;
    if (key === ROUTER_APP_LABEL.key && value === ROUTER_APP_LABEL.value) {
      errors.push({ path, type: 'Forbidden', value, detail: `the label ${key}=${value} marks the sandbox router's pods` });
      continue;
    }
    const { prefix } = splitKey(key);
    if (prefix === undefined || !allowedDomains.some((d) => isDomainOrSubdomain(prefix, d))) {
      errors.push({
        path,
        type: 'Forbidden',
        value: key,
        detail: `label keys must use an allowed domain (${allowedDomains.join(', ')} or a subdomain)`,
      });
      continue;
    }
    errors.push(...changesTemplate(path, key, value, options.template?.labels));
  }

  let annotationBytes = 0;
  for (const [key, value] of Object.entries(metadata?.annotations ?? {})) {
    const path = `${base}.annotations[${key}]`;
    annotationBytes += Buffer.byteLength(key) + Buffer.byteLength(value);
    const keyProblems = qualifiedNameProblems(key.toLowerCase());
    for (const detail of keyProblems) errors.push({ path, type: 'Invalid', value: key, detail });
    if (keyProblems.length > 0) continue;
    const { prefix } = splitKey(key);
    if (
      prefix !== undefined &&
      RESTRICTED_ANNOTATION_DOMAINS.some((d) => isDomainOrSubdomain(prefix, d)) &&
      !ALLOWED_RESTRICTED_ANNOTATIONS.includes(key)
    ) {
      errors.push({
        path,
        type: 'Forbidden',
        value: key,
        detail: `annotation keys under ${RESTRICTED_ANNOTATION_DOMAINS.join(', ')} (or a subdomain) are reserved, except ${ALLOWED_RESTRICTED_ANNOTATIONS.join(', ')}`,
      });
      continue;
    }
    errors.push(...changesTemplate(path, key, value, options.template?.annotations));
  }
  if (annotationBytes > TOTAL_ANNOTATION_SIZE_LIMIT) {
    errors.push({
      path: `${base}.annotations`,
      type: 'TooLong',
      detail: `annotations may hold at most ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes together (${annotationBytes})`,
    });
  }
  return errors;
}

function changesTemplate(path: string, key: string, value: string, template: Record<string, string> | undefined): FieldError[] {
  const templateValue = template?.[key];
  if (templateValue === undefined || templateValue === value) return [];
  return [{ path, type: 'Forbidden', value, detail: `the template sets ${key} to ${JSON.stringify(templateValue)}; a claim may not change it` }];
}
