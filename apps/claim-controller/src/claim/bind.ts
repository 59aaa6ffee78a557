/**
 * Step 2, cold, and step 3. A claim that starts cold reserves its own name and creates its
 * Sandbox from the pool's template (cold-sandbox.ts). Whatever the claim ended with, its status
 * is written under its resourceVersion; at its first Ready, the ready time is written once and
 * the startup metrics are recorded by the writer of that annotation only.
 */
import { ClaimReason, CLAIM_FIRST_READY_AT_ANNOTATION, controllerRef, LAUNCH_TYPE_LABEL, type SandboxClaimStatus } from '@agent-sandbox/api';
import { isAlreadyExists, isConflict, isNotFound, type ReconcileContext } from '@agent-sandbox/runtime';
import { ClaimKind, SandboxKind, type ClaimObject, type SandboxObject, type TemplateObject } from '../kinds.ts';
import { nanoTime } from './claim-metrics.ts';
import { claimStatusPatch, computeClaimStatus, statusDiffers, type ClaimObservation } from './claim-status.ts';
import { coldSandbox, isRejection } from './cold-sandbox.ts';
import { reservationOf, reserve } from './reserve.ts';
import { isOurs, readSandbox, withKind, type ClaimSteps } from './steps.ts';

/** A claim bound to a Sandbox, or one whose pass is over (its status written, or a newer version on its way). */
export type Bound = { sandbox: SandboxObject; claim: ClaimObject } | { stop: true };

const claimOwner = (claim: ClaimObject) => controllerRef({ apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxClaim', metadata: claim.metadata });

/** Reserves the claim's own name and creates its Sandbox from `template`, with the claim's env and volumes. */
export async function startCold(steps: ClaimSteps, claim: ClaimObject, template: TemplateObject, ctx: ReconcileContext): Promise<Bound> {
  const { state, events, metrics } = steps;
  const namespace = claim.metadata.namespace!;
  const body = coldSandbox(claim, template, claimOwner(claim));
  if (isRejection(body)) {
    events.event(claim, 'Warning', 'ClaimRejected', body.message);
    return { ...(await writeStatus(steps, claim, { unbound: body }, ctx)), stop: true };
  }
  if (reservationOf(claim) !== claim.metadata.name) {
    const reserved = await reserve(steps, claim, claim.metadata.name!, ctx.signal);
    if (!reserved) return { stop: true };
    claim = reserved;
  }
  try {
    const created = await steps.writer.create<SandboxObject>(SandboxKind, body, { signal: ctx.signal });
    ctx.span.setAttributes({ 'agent_sandbox.claim.launch': 'cold', 'agent_sandbox.adoption.outcome': 'cold', 'agent_sandbox.sandbox.name': claim.metadata.name! });
    state.bound.set(claim.metadata.uid!, `${namespace}/${claim.metadata.name}`);
    events.event(claim, 'Normal', 'SandboxProvisioned', `started Sandbox ${claim.metadata.name} cold from template ${template.metadata.name}`);
    metrics.creations.inc({ namespace, launch_type: 'cold' });
    return { claim, sandbox: created };
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const existing = await readSandbox(steps, namespace, claim.metadata.name!, ctx.signal);
    if (existing && isOurs(existing, claim)) return { claim, sandbox: existing };
    if (!existing) throw new Error(`Sandbox ${claim.metadata.name} exists and vanished; retrying`, { cause: err });
    await writeStatus(steps, claim, { unbound: { reason: ClaimReason.AdoptionConflict, message: `a Sandbox named ${claim.metadata.name} exists and is not controlled by this claim` } }, ctx);
    return { stop: true };
  }
}

/** Writes the status (under the claim's resourceVersion) and, at the first Ready, the ready time and metrics. */
export async function writeStatus(steps: ClaimSteps, claim: ClaimObject, obs: ClaimObservation, ctx: ReconcileContext): Promise<{ stop: true }> {
  const { writer, state, metrics } = steps;
  const now = new Date();
  const status = computeClaimStatus(claim, obs, now);
  let current = claim;
  if (statusDiffers(claim.status as SandboxClaimStatus | undefined, status)) {
    try {
      current = withKind(state.claims.remember(await writer.patchStatus<ClaimObject>(ClaimKind, claim, claimStatusPatch(claim.status as SandboxClaimStatus | undefined, status), { signal: ctx.signal })));
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return { stop: true };
      throw err;
    }
  }
  const ready = (status.conditions as Array<{ type: string; status: string }> | undefined)?.some((c) => c.type === 'Ready' && c.status === 'True');
  if (ready && obs.sandbox && !current.metadata.annotations?.[CLAIM_FIRST_READY_AT_ANNOTATION]) {
    try {
      state.claims.remember(await writer.patch<ClaimObject>(ClaimKind, current, { metadata: { annotations: { [CLAIM_FIRST_READY_AT_ANNOTATION]: nanoTime(now) } } }, { signal: ctx.signal }));
      // Only the writer of the annotation records: once per claim, whatever the replicas.
      metrics.observeFirstReady(current, obs.sandbox.metadata.labels?.[LAUNCH_TYPE_LABEL] ?? 'unknown', now);
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
  }
  return { stop: true };
}
