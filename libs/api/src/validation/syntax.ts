/** Kubernetes' syntax rules for label and annotation keys and label values. */

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Most bytes all annotations of one object may hold together. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** The key split into its optional DNS prefix and its name. */
export function splitKey(key: string): { prefix?: string; name: string } {
  const slash = key.indexOf('/');
  return slash === -1 ? { name: key } : { prefix: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Problems with a label or annotation key (`[prefix/]name`); empty when it is valid. */
export function qualifiedNameProblems(key: string): string[] {
  const problems: string[] = [];
  const parts = key.split('/');
  if (parts.length > 2) return ['a qualified name has at most one "/"'];
  const { prefix, name } = splitKey(key);
  if (prefix !== undefined) {
    if (prefix.length === 0) problems.push('prefix part must be non-empty');
    else if (prefix.length > 253) problems.push('prefix part must be no more than 253 characters');
    else if (!DNS1123_SUBDOMAIN.test(prefix)) problems.push('prefix part must be a lowercase RFC 1123 subdomain');
  }
  if (name.length === 0) problems.push('name part must be non-empty');
  else if (name.length > 63) problems.push('name part must be no more than 63 characters');
  else if (!QUALIFIED_NAME.test(name)) {
    problems.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
  }
  return problems;
}

/** Problems with a label value; empty when it is valid. */
export function labelValueProblems(value: string): string[] {
  if (value.length > 63) return ['must be no more than 63 characters'];
  if (!LABEL_VALUE.test(value)) {
    return ["must be empty or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"];
  }
  return [];
}

/** Whether `domain` is `parent` or one of its subdomains. */
export function isDomainOrSubdomain(domain: string, parent: string): boolean {
  return domain === parent || domain.endsWith(`.${parent}`);
}
