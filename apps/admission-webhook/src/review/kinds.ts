import { SANDBOX, SANDBOX_CLAIM, SANDBOX_TEMPLATE, SANDBOX_WARM_POOL } from '@agent-sandbox/api';
import type { AdmissionRequest } from './admission-review.ts';

/** What a review is about: one of the four kinds, or a pool's scale subresource. */
export type ReviewedKind = 'Sandbox' | 'SandboxTemplate' | 'SandboxClaim' | 'SandboxWarmPool' | 'Scale';

/** Decided by the resource (not the kind, which a Scale review does not share with its pool). */
export function reviewedKind(request: AdmissionRequest): ReviewedKind | undefined {
  const { group, resource } = request.resource;
  const sub = request.subResource;
  for (const info of [SANDBOX, SANDBOX_TEMPLATE, SANDBOX_CLAIM, SANDBOX_WARM_POOL]) {
    if (info.group !== group || info.plural !== resource) continue;
    if (sub === '') return info.kind;
    if (sub === 'scale' && info === SANDBOX_WARM_POOL) return 'Scale';
    return undefined; // status and other subresources are not ours to judge
  }
  return undefined;
}
