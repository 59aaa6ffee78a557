/**
 * Objects, reviews and the policy the tests share (unit tests through the handler,
 * integration tests through the real API server).
 */
import { SANDBOX, SANDBOX_CLAIM, SANDBOX_TEMPLATE, SANDBOX_WARM_POOL } from '@agent-sandbox/api';
import { defaultPolicy, type Policy } from '../policy/policy.ts';
import type { JsonRecord } from '../util/json.ts';

export const TRUSTED_USER = 'system:serviceaccount:agent-sandbox-system:claim-controller';
export const TEST_USER = 'jane@example.com';

/** Strict enough that every rule can fire: an allow-list with a default, limits, a low ceiling. */
export function testPolicy(): Policy {
  const policy = defaultPolicy();
  policy.podDefaults.runtimeClassName = 'gvisor';
  policy.podRules.allowedRuntimeClassNames = ['gvisor', 'kata'];
  policy.podRules.requireResourceLimits = true;
  policy.warmPools.maxReplicas = 10;
  policy.trusted.usernames = [TRUSTED_USER];
  return policy;
}

export type TestResource = 'sandboxes' | 'sandboxtemplates' | 'sandboxclaims' | 'sandboxwarmpools' | 'sandboxwarmpools/scale';

export const RESOURCE_INFO = {
  sandboxes: SANDBOX,
  sandboxtemplates: SANDBOX_TEMPLATE,
  sandboxclaims: SANDBOX_CLAIM,
  sandboxwarmpools: SANDBOX_WARM_POOL,
} as const;

export function container(name = 'main', extra: JsonRecord = {}): JsonRecord {
  return { name, image: 'registry.example/agent:1', resources: { limits: { cpu: '1', memory: '512Mi' } }, ...extra };
}

export function podSpec(extra: JsonRecord = {}): JsonRecord {
  return { containers: [container()], ...extra };
}

function meta(name: string, extra: JsonRecord = {}): JsonRecord {
  return { name, ...extra };
}

export function sandbox(name: string, spec: JsonRecord = podSpec(), metadata: JsonRecord = {}, podMetadata?: JsonRecord): JsonRecord {
  return {
    apiVersion: SANDBOX.apiVersion,
    kind: SANDBOX.kind,
    metadata: meta(name, metadata),
    spec: { podTemplate: { ...(podMetadata ? { metadata: podMetadata } : {}), spec } },
  };
}

export function template(name: string, spec: JsonRecord = podSpec(), metadata: JsonRecord = {}, podMetadata?: JsonRecord): JsonRecord {
  return { ...sandbox(name, spec, metadata, podMetadata), apiVersion: SANDBOX_TEMPLATE.apiVersion, kind: SANDBOX_TEMPLATE.kind };
}

export function claim(name: string, spec: JsonRecord = {}, metadata: JsonRecord = {}): JsonRecord {
  return {
    apiVersion: SANDBOX_CLAIM.apiVersion,
    kind: SANDBOX_CLAIM.kind,
    metadata: meta(name, metadata),
    spec: { warmPoolRef: { name: 'pool' }, ...spec },
  };
}

export function pool(name: string, spec: JsonRecord = {}, metadata: JsonRecord = {}): JsonRecord {
  return {
    apiVersion: SANDBOX_WARM_POOL.apiVersion,
    kind: SANDBOX_WARM_POOL.kind,
    metadata: meta(name, metadata),
    spec: { replicas: 2, sandboxTemplateRef: { name: 'tpl' }, ...spec },
  };
}

export function scale(name: string, replicas: number): JsonRecord {
  return { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name }, spec: { replicas } };
}

export interface ReviewInput {
  resource: TestResource;
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  object: JsonRecord | null;
  oldObject?: JsonRecord;
  username?: string;
  groups?: string[];
  namespace?: string;
  uid?: string;
}

/** The AdmissionReview the API server would send for `input`. */
export function admissionReview(input: ReviewInput): JsonRecord {
  const scaleRequest = input.resource === 'sandboxwarmpools/scale';
  const info = RESOURCE_INFO[scaleRequest ? 'sandboxwarmpools' : (input.resource as keyof typeof RESOURCE_INFO)];
  const name = ((input.object ?? input.oldObject)?.metadata as JsonRecord | undefined)?.name ?? '';
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: input.uid ?? '00000000-0000-0000-0000-000000000001',
      kind: scaleRequest ? { group: 'autoscaling', version: 'v1', kind: 'Scale' } : { group: info.group, version: info.version, kind: info.kind },
      resource: { group: info.group, version: info.version, resource: info.plural },
      ...(scaleRequest ? { subResource: 'scale' } : {}),
      name,
      namespace: input.namespace ?? 'team-a',
      operation: input.operation,
      userInfo: { username: input.username ?? TEST_USER, groups: input.groups ?? ['system:authenticated'] },
      object: input.object,
      oldObject: input.oldObject ?? null,
      dryRun: false,
    },
  };
}
