/**
 * admission.k8s.io/v1 AdmissionReview: reading a request (refusing malformed ones with a reason
 * that says what is wrong) and writing a response.
 */
import type { FieldError } from '@agent-sandbox/api';
import { formatFieldErrors } from '@agent-sandbox/api';
import { isRecord, type JsonRecord } from '../util/json.ts';
import type { JsonPatchOp } from './json-patch.ts';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
export const OPERATIONS = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}
export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}
export interface UserInfo {
  username: string;
  groups: string[];
}

/** The parts of an AdmissionRequest the webhook reads, checked for type. */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  subResource: string;
  name: string;
  namespace: string;
  operation: Operation;
  userInfo: UserInfo;
  /** The object as it would be stored (CREATE, UPDATE); null on DELETE and CONNECT. */
  object: JsonRecord | null;
  /** The stored object (UPDATE, DELETE). */
  oldObject: JsonRecord | null;
  dryRun: boolean;
}

export interface AdmissionStatus {
  metadata: Record<string, never>;
  status: 'Failure';
  code: number;
  reason: string;
  message: string;
  details?: { causes: { field: string; reason: string; message: string }[] };
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  patchType?: 'JSONPatch';
  patch?: string;
  warnings?: string[];
}

export interface AdmissionReviewResponse {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

/** A body that is not a usable AdmissionReview; `reason` is the 400 answer. */
export class MalformedReview extends Error {
  override name = 'MalformedReview';
}

function fail(reason: string): never {
  throw new MalformedReview(reason);
}

function requiredString(parent: JsonRecord, key: string, where: string, allowEmpty = false): string {
  const value = parent[key];
  if (typeof value !== 'string') fail(`${where}.${key} must be a string`);
  if (!allowEmpty && value.length === 0) fail(`${where}.${key} must not be empty`);
  return value;
}

function optionalString(parent: JsonRecord, key: string, where: string): string {
  const value = parent[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') fail(`${where}.${key} must be a string when set`);
  return value;
}

function optionalObject(parent: JsonRecord, key: string, where: string): JsonRecord | null {
  const value = parent[key];
  if (value === undefined || value === null) return null;
  if (!isRecord(value)) fail(`${where}.${key} must be a JSON object or null`);
  return value;
}

/** Reads an AdmissionReview from a parsed JSON body; throws MalformedReview with the reason. */
export function parseAdmissionReview(body: unknown): AdmissionRequest {
  if (!isRecord(body)) fail('the body must be a JSON object (an admission.k8s.io/v1 AdmissionReview)');
  if (body.apiVersion !== ADMISSION_API_VERSION) {
    fail(`apiVersion must be ${ADMISSION_API_VERSION}; got ${JSON.stringify(body.apiVersion ?? null)?.slice(0, 64)}`);
  }
  if (body.kind !== 'AdmissionReview') fail(`kind must be AdmissionReview; got ${JSON.stringify(body.kind ?? null)?.slice(0, 64)}`);
  const request = body.request;
  if (!isRecord(request)) fail('request must be a JSON object');

  const uid = requiredString(request, 'uid', 'request');
  const kindValue = request.kind;
  if (!isRecord(kindValue)) fail('request.kind must be an object {group, version, kind}');
  const kind: GroupVersionKind = {
    group: requiredString(kindValue, 'group', 'request.kind', true),
    version: requiredString(kindValue, 'version', 'request.kind'),
    kind: requiredString(kindValue, 'kind', 'request.kind'),
  };
  const resourceValue = request.resource;
  if (!isRecord(resourceValue)) fail('request.resource must be an object {group, version, resource}');
  const resource: GroupVersionResource = {
    group: requiredString(resourceValue, 'group', 'request.resource', true),
    version: requiredString(resourceValue, 'version', 'request.resource'),
    resource: requiredString(resourceValue, 'resource', 'request.resource'),
  };
  const operation = request.operation;
  if (typeof operation !== 'string' || !(OPERATIONS as readonly string[]).includes(operation)) {
    fail(`request.operation must be one of ${OPERATIONS.join(', ')}`);
  }

  const userInfoValue = optionalObject(request, 'userInfo', 'request') ?? {};
  const groupsValue = userInfoValue.groups ?? [];
  if (!Array.isArray(groupsValue) || !groupsValue.every((g) => typeof g === 'string')) {
    fail('request.userInfo.groups must be a list of strings');
  }
  const userInfo: UserInfo = { username: optionalString(userInfoValue, 'username', 'request.userInfo'), groups: groupsValue };

  const object = optionalObject(request, 'object', 'request');
  const oldObject = optionalObject(request, 'oldObject', 'request');
  if ((operation === 'CREATE' || operation === 'UPDATE') && object === null) fail(`request.object is required for ${operation}`);
  if (operation === 'UPDATE' && oldObject === null) fail('request.oldObject is required for UPDATE');
  const dryRun = request.dryRun ?? false;
  if (typeof dryRun !== 'boolean') fail('request.dryRun must be a boolean when set');

  return {
    uid,
    kind,
    resource,
    subResource: optionalString(request, 'subResource', 'request'),
    name: optionalString(request, 'name', 'request'),
    namespace: optionalString(request, 'namespace', 'request'),
    operation: operation as Operation,
    userInfo,
    object,
    oldObject,
    dryRun,
  };
}

export function allow(uid: string, patch: readonly JsonPatchOp[] = [], warnings: readonly string[] = []): AdmissionResponse {
  const response: AdmissionResponse = { uid, allowed: true };
  if (patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(patch)).toString('base64');
  }
  if (warnings.length > 0) response.warnings = [...warnings];
  return response;
}

const CAUSE_REASON: Record<FieldError['type'], string> = {
  Invalid: 'FieldValueInvalid',
  Forbidden: 'FieldValueForbidden',
  Required: 'FieldValueRequired',
  TooLong: 'FieldValueTooLong',
};

/** A refusal listing every problem; the API server shows `message` to the user. */
export function deny(uid: string, errors: readonly FieldError[]): AdmissionResponse {
  return {
    uid,
    allowed: false,
    status: {
      metadata: {},
      status: 'Failure',
      code: 403,
      reason: 'Forbidden',
      message: formatFieldErrors(errors),
      details: { causes: errors.map((e) => ({ field: e.path, reason: CAUSE_REASON[e.type], message: e.detail })) },
    },
  };
}

/** A refusal that is not about a field (for instance a lookup that failed). */
export function denyWithMessage(uid: string, code: number, reason: string, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { metadata: {}, status: 'Failure', code, reason, message } };
}

export function reviewResponse(response: AdmissionResponse): AdmissionReviewResponse {
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}
