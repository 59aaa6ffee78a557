/**
 * Reserved label and annotation keys (agents.x-k8s.io/, extensions.agents.x-k8s.io/) carry
 * the system's bookkeeping: only the programs' own service accounts may add, change or remove
 * them. Users may keep the values the programs wrote, and set the few keys the standard's
 * clients write themselves.
 */
import {
  CLIENT_FIRST_REQUESTED_AT_ANNOTATION,
  CREATED_BY_LABEL,
  CREATED_BY_VALUES,
  isReservedKey,
  RESERVED_KEY_PREFIXES,
  WEBHOOK_FIRST_OBSERVED_AT_ANNOTATION,
  type FieldError,
} from '@agent-sandbox/api';
import type { Policy } from '../policy/policy.ts';
import type { AdmissionRequest, UserInfo } from '../review/admission-review.ts';
import type { ReviewedKind } from '../review/kinds.ts';
import { isRecord, recordAt, shown } from '../util/json.ts';

export function isTrusted(user: UserInfo, policy: Policy): boolean {
  return policy.trusted.usernames.includes(user.username) || user.groups.some((g) => policy.trusted.groups.includes(g));
}

type MapName = 'labels' | 'annotations';

/** Keys a client of the standard sets on a claim itself (the SDKs' latency and origin marks). */
function userSettable(kind: ReviewedKind, map: MapName, key: string, operation: string): boolean {
  if (kind !== 'SandboxClaim') return false;
  if (map === 'labels') return key === CREATED_BY_LABEL;
  if (key === CLIENT_FIRST_REQUESTED_AT_ANNOTATION) return true;
  // Written by this webhook's own mutation, which runs before validation.
  return key === WEBHOOK_FIRST_OBSERVED_AT_ANNOTATION && operation === 'CREATE';
}

const PREFIXES = RESERVED_KEY_PREFIXES.join(' and ');

function entries(map: unknown): [string, unknown][] {
  return isRecord(map) ? Object.entries(map) : [];
}

function checkMap(
  errors: FieldError[],
  kind: ReviewedKind,
  operation: string,
  path: string,
  map: MapName,
  current: unknown,
  previous: unknown,
): void {
  const now = isRecord(current) ? current : {};
  const before = isRecord(previous) ? previous : {};
  for (const [key, value] of entries(now)) {
    if (!isReservedKey(key)) continue;
    const at = `${path}.${map}[${key}]`;
    if (userSettable(kind, map, key, operation)) {
      if (map === 'labels' && key === CREATED_BY_LABEL && !(CREATED_BY_VALUES as readonly unknown[]).includes(value)) {
        errors.push({ path: at, type: 'Invalid', value: shown(value), detail: `must be one of: ${CREATED_BY_VALUES.join(', ')}` });
      }
      continue;
    }
    if (!(key in before)) {
      errors.push({
        path: at,
        type: 'Forbidden',
        value: key,
        detail: `keys under ${PREFIXES} are reserved for the Agent Sandbox programs; remove this key`,
      });
    } else if (before[key] !== value) {
      errors.push({
        path: at,
        type: 'Forbidden',
        value: key,
        detail: `reserved key: only the Agent Sandbox programs may change it; keep its value ${JSON.stringify(before[key])}`,
      });
    }
  }
  for (const [key] of entries(before)) {
    if (!isReservedKey(key) || key in now || userSettable(kind, map, key, operation)) continue;
    errors.push({
      path: `${path}.${map}[${key}]`,
      type: 'Forbidden',
      value: key,
      detail: 'reserved key: only the Agent Sandbox programs may remove it; keep it',
    });
  }
}

function metadataPairs(kind: ReviewedKind, object: unknown): [string, unknown][] {
  const pairs: [string, unknown][] = [['metadata', recordAt(object, 'metadata')]];
  if (kind === 'Sandbox' || kind === 'SandboxTemplate') {
    pairs.push(['spec.podTemplate.metadata', recordAt(recordAt(recordAt(object, 'spec'), 'podTemplate'), 'metadata')]);
  }
  return pairs;
}

export function validateReservedKeys(kind: ReviewedKind, request: AdmissionRequest, policy: Policy): FieldError[] {
  if (kind === 'Scale' || isTrusted(request.userInfo, policy)) return [];
  const errors: FieldError[] = [];
  const old = request.operation === 'UPDATE' ? metadataPairs(kind, request.oldObject) : [];
  for (const [path, meta] of metadataPairs(kind, request.object)) {
    const oldMeta = old.find(([p]) => p === path)?.[1];
    for (const map of ['labels', 'annotations'] as const) {
      checkMap(errors, kind, request.operation, path, map, recordAt(meta, map), recordAt(oldMeta, map));
    }
  }
  return errors;
}
