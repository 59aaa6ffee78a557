/**
 * Step 1: the reservation. Before a claim takes a warm member or creates its cold Sandbox, it
 * records which one in its own `sandbox-name` annotation, written under the claim's
 * resourceVersion: of two workers (or replicas) reconciling the claim at once, only one writes
 * it, and the other's 409 sends it back to wait for the update. A reservation is only ever
 * replaced after a fresh read shows its member gone or someone else's, so a claim never holds
 * two Sandboxes, even across a crash between this write and the next.
 */
import { CONTROLLER_FIRST_OBSERVED_AT_ANNOTATION, SANDBOX_NAME_ANNOTATION } from '@agent-sandbox/api';
import { isConflict, isNotFound } from '@agent-sandbox/runtime';
import { ClaimKind, type ClaimObject } from '../kinds.ts';
import { nanoTime } from './claim-metrics.ts';
import { withKind, type ClaimSteps } from './steps.ts';

/** The Sandbox a claim has reserved, if any. */
export function reservationOf(claim: ClaimObject): string | undefined {
  return claim.metadata.annotations?.[SANDBOX_NAME_ANNOTATION];
}

/** Writes the reservation (and the first-observed time) under the claim's resourceVersion; undefined if the claim moved on. */
export async function reserve(steps: ClaimSteps, claim: ClaimObject, sandboxName: string, signal: AbortSignal): Promise<ClaimObject | undefined> {
  const annotations: Record<string, string> = { [SANDBOX_NAME_ANNOTATION]: sandboxName };
  if (!claim.metadata.annotations?.[CONTROLLER_FIRST_OBSERVED_AT_ANNOTATION]) annotations[CONTROLLER_FIRST_OBSERVED_AT_ANNOTATION] = nanoTime();
  try {
    const updated = await steps.writer.patch<ClaimObject>(ClaimKind, claim, { metadata: { annotations } }, { signal });
    return withKind(steps.state.claims.remember(updated));
  } catch (err) {
    if (isConflict(err) || isNotFound(err)) return undefined; // a newer version is on its way to the cache
    throw err;
  }
}
