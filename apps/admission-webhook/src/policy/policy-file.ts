/**
 * The policy file (YAML or JSON; a ConfigMap key mounted as a file). Every field is optional
 * and overrides the flags' value; unknown fields are refused so a typo does not silently
 * leave a rule off.
 *
 *   podDefaults:
 *     disableServiceAccountTokenAutomount: true
 *     seccompRuntimeDefault: true
 *     disallowPrivilegeEscalation: true
 *     dropAllCapabilities: true
 *     runtimeClassName: gvisor
 *     runtimeClassNameByNamespace: { trusted-team: runc }
 *   podRules:
 *     allowedRuntimeClassNames: [gvisor, runc]
 *     requireResourceLimits: true
 *     requiredLimits: [cpu, memory]
 *   warmPools: { maxReplicas: 50 }
 *   claims: { shutdownTimeTolerance: 10s, allowedLabelDomains: [sandbox.users.io] }
 *   trusted: { usernames: [...], groups: [...] }
 */
import { parseDuration } from '@agent-sandbox/runtime';
import { parse as parseYaml } from 'yaml';
import { isRecord, type JsonRecord } from '../util/json.ts';
import { policyProblems, type Policy } from './policy.ts';

export class PolicyError extends Error {
  override name = 'PolicyError';
}

type FieldReader = (value: unknown, where: string, problems: string[]) => unknown;

const bool: FieldReader = (value, where, problems) => {
  if (typeof value === 'boolean') return value;
  problems.push(`${where} must be true or false`);
  return undefined;
};
const str: FieldReader = (value, where, problems) => {
  if (typeof value === 'string') return value;
  problems.push(`${where} must be a string`);
  return undefined;
};
const strList: FieldReader = (value, where, problems) => {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.map((v) => v.trim()).filter(Boolean);
  problems.push(`${where} must be a list of strings`);
  return undefined;
};
const strMap: FieldReader = (value, where, problems) => {
  if (isRecord(value) && Object.values(value).every((v) => typeof v === 'string')) return { ...value };
  problems.push(`${where} must be a map of strings`);
  return undefined;
};
const count: FieldReader = (value, where, problems) => {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  problems.push(`${where} must be a whole number ≥ 0`);
  return undefined;
};
const duration: FieldReader = (value, where, problems) => {
  const ms = typeof value === 'string' ? parseDuration(value) : undefined;
  if (ms !== undefined) return ms;
  problems.push(`${where} must be a duration such as 500ms, 10s or 1m`);
  return undefined;
};

/** File section → field → (reader, property of the Policy section). */
const SECTIONS: Record<keyof Policy, Record<string, [FieldReader, string]>> = {
  podDefaults: {
    disableServiceAccountTokenAutomount: [bool, 'disableServiceAccountTokenAutomount'],
    seccompRuntimeDefault: [bool, 'seccompRuntimeDefault'],
    disallowPrivilegeEscalation: [bool, 'disallowPrivilegeEscalation'],
    dropAllCapabilities: [bool, 'dropAllCapabilities'],
    runtimeClassName: [str, 'runtimeClassName'],
    runtimeClassNameByNamespace: [strMap, 'runtimeClassNameByNamespace'],
  },
  podRules: {
    allowedRuntimeClassNames: [strList, 'allowedRuntimeClassNames'],
    requireResourceLimits: [bool, 'requireResourceLimits'],
    requiredLimits: [strList, 'requiredLimits'],
  },
  warmPools: { maxReplicas: [count, 'maxReplicas'] },
  claims: {
    shutdownTimeTolerance: [duration, 'shutdownTimeToleranceMs'],
    allowedLabelDomains: [strList, 'allowedLabelDomains'],
  },
  trusted: { usernames: [strList, 'usernames'], groups: [strList, 'groups'] },
};

/** `base` with the file's fields laid over it; throws PolicyError naming every problem. */
export function overlayPolicyFile(base: Policy, text: string, source = 'policy file'): Policy {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new PolicyError(`${source}: not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (!isRecord(doc)) throw new PolicyError(`${source}: must be a map of sections (${Object.keys(SECTIONS).join(', ')})`);

  const problems: string[] = [];
  const policy = structuredClone(base);
  for (const [sectionName, sectionValue] of Object.entries(doc)) {
    const fields = SECTIONS[sectionName as keyof Policy];
    if (!fields) {
      problems.push(`unknown section "${sectionName}" (known: ${Object.keys(SECTIONS).join(', ')})`);
      continue;
    }
    if (sectionValue === null) continue;
    if (!isRecord(sectionValue)) {
      problems.push(`${sectionName} must be a map`);
      continue;
    }
    const target = policy[sectionName as keyof Policy] as unknown as JsonRecord;
    for (const [field, value] of Object.entries(sectionValue)) {
      const entry = fields[field];
      if (!entry) {
        problems.push(`unknown field ${sectionName}.${field} (known: ${Object.keys(fields).join(', ')})`);
        continue;
      }
      const [read, property] = entry;
      const converted = read(value, `${sectionName}.${field}`, problems);
      if (converted !== undefined) target[property] = converted;
    }
  }
  problems.push(...policyProblems(policy));
  if (problems.length > 0) throw new PolicyError(`${source}: ${problems.join('; ')}`);
  return policy;
}
