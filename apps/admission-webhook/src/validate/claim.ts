/** SandboxClaim rules: a fixed pool, sane pod metadata, and no expiry in the past at creation. */
import { isDeepStrictEqual } from 'node:util';
import { validateAdditionalPodMetadata, type FieldError, type PodMetadata } from '@agent-sandbox/api';
import type { Policy } from '../policy/policy.ts';
import type { AdmissionRequest } from '../review/admission-review.ts';
import { isRecord, recordAt, shown, stringAt } from '../util/json.ts';

function checkStringMap(errors: FieldError[], value: unknown, path: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) {
    errors.push({ path, type: 'Invalid', detail: 'must be a map of strings' });
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string') out[key] = v;
    else errors.push({ path: `${path}[${key}]`, type: 'Invalid', detail: 'must be a string' });
  }
  return out;
}

/** `template`: the pod metadata of the pool's template, when known (a claim may not change its values). */
export function validateClaim(request: AdmissionRequest, policy: Policy, nowMs: number, template?: PodMetadata): FieldError[] {
  const errors: FieldError[] = [];
  const spec = recordAt(request.object, 'spec');

  if (request.operation === 'UPDATE') {
    const before = stringAt(recordAt(recordAt(request.oldObject, 'spec'), 'warmPoolRef'), 'name');
    const after = stringAt(recordAt(spec, 'warmPoolRef'), 'name');
    if (before !== after) {
      errors.push({
        path: 'spec.warmPoolRef.name',
        type: 'Invalid',
        ...(after !== undefined ? { value: after } : {}),
        detail: `warmPoolRef is immutable (it was ${JSON.stringify(before ?? null)}); create a new claim to use another pool`,
      });
    }
  }

  const metadata = recordAt(spec, 'additionalPodMetadata');
  // Ratcheting: pod metadata the claim already had (checked then) is not checked again against a
  // template changed since; an update that leaves it (the ttl-reaper's expired-at) goes through.
  const unchanged = request.operation === 'UPDATE' && isDeepStrictEqual(metadata, recordAt(recordAt(request.oldObject, 'spec'), 'additionalPodMetadata'));
  if (metadata && !unchanged) {
    const labels = checkStringMap(errors, metadata.labels, 'spec.additionalPodMetadata.labels');
    const annotations = checkStringMap(errors, metadata.annotations, 'spec.additionalPodMetadata.annotations');
    errors.push(
      ...validateAdditionalPodMetadata(
        { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
        { allowedLabelDomains: policy.claims.allowedLabelDomains, ...(template ? { template } : {}) },
      ),
    );
  }

  const shutdownTime = recordAt(spec, 'lifecycle')?.shutdownTime;
  if (request.operation === 'CREATE' && shutdownTime !== undefined && shutdownTime !== null) {
    const at = typeof shutdownTime === 'string' ? Date.parse(shutdownTime) : Number.NaN;
    if (Number.isNaN(at)) {
      errors.push({
        path: 'spec.lifecycle.shutdownTime',
        type: 'Invalid',
        value: shown(shutdownTime),
        detail: 'must be an RFC 3339 time such as 2030-01-01T00:00:00Z',
      });
    } else if (at < nowMs - policy.claims.shutdownTimeToleranceMs) {
      errors.push({
        path: 'spec.lifecycle.shutdownTime',
        type: 'Invalid',
        value: shutdownTime as string,
        detail: `is in the past (now ${new Date(nowMs).toISOString()}); set a time in the future or leave it unset`,
      });
    }
  }
  return errors;
}
