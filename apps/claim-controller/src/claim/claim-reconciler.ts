/**
 * SandboxClaim → a bound Sandbox, in three steps a reader can follow by file:
 *
 *   reserve.ts  the claim records which Sandbox it reserves (locked on the claim)
 *   settle.ts   a warm reservation is taken in one write (locked on the member), or void
 *   bind.ts     a cold start creates the claim's own Sandbox; the status is written
 *
 * This file is the order they come in. Before them, what makes a pass short: a claim bound
 * already (by the cache, or by this process's memory ahead of it, local-state.ts), expired,
 * bound once to a Sandbox since gone, or waiting for its pool or template.
 */
import { ClaimMessage, ClaimReason, formatFieldErrors, templateHash, validateAdditionalPodMetadata, type SandboxClaimStatus } from '@agent-sandbox/api';
import { CONTROLLER_UID_INDEX, type Manager, type ReconcileContext, type Reconciler } from '@agent-sandbox/runtime';
import { ClaimKind, PoolKind, SandboxKind, TemplateKind, type ClaimObject, type PoolObject, type SandboxObject, type TemplateObject } from '../kinds.ts';
import { startCold, writeStatus, type Bound } from './bind.ts';
import { orderCandidates } from './candidates.ts';
import type { ClaimMetrics } from './claim-metrics.ts';
import { isExpired } from './claim-status.ts';
import { LocalState } from './local-state.ts';
import { reservationOf, reserve } from './reserve.ts';
import { settleReservation } from './settle.ts';
import { isOurs, readSandbox, withKind, type ClaimSteps } from './steps.ts';

export interface ClaimReconcilerOptions {
  metrics: ClaimMetrics;
  allowedLabelDomains?: readonly string[];
  /** Members tried per pass before the claim starts cold. */
  maxAttempts?: number;
}

export function claimReconciler(manager: Manager, options: ClaimReconcilerOptions, state = new LocalState()): Reconciler {
  const claims = manager.informer<ClaimObject>(ClaimKind).store;
  const pools = manager.informer<PoolObject>(PoolKind).store;
  const templates = manager.informer<TemplateObject>(TemplateKind).store;
  const steps: ClaimSteps = {
    sandboxes: manager.informer<SandboxObject>(SandboxKind).store,
    client: manager.client,
    writer: manager.writer,
    events: manager.events,
    metrics: options.metrics,
    state,
  };
  const maxAttempts = options.maxAttempts ?? 8;

  return async (req, ctx) => {
    const cached = state.claims.fresher(req.key, claims.get(req.key));
    if (!cached || cached.metadata.deletionTimestamp) return;
    const claim = withKind(cached);
    const from = await shortPass(claim, ctx);
    if (from === 'done') return;
    const bound = await bind(claim, from.pool, from.template, ctx);
    if (bound && 'sandbox' in bound) await writeStatus(steps, bound.claim, { sandbox: bound.sandbox }, ctx);
  };

  /**
   * The passes that end before any binding step ('done': the claim's status has been written,
   * or a newer version is on its way, and there is nothing to bind); else the pool and template
   * to bind from.
   */
  async function shortPass(claim: ClaimObject, ctx: ReconcileContext): Promise<'done' | { pool: PoolObject; template: TemplateObject }> {
    const namespace = claim.metadata.namespace!;
    const uid = claim.metadata.uid!;
    const { sandboxes } = steps;

    // Bound already (the cache says so, or this process did it and the cache lags)?
    const boundKey = state.bound.get(uid);
    const bound = sandboxes.byIndex(CONTROLLER_UID_INDEX, uid)[0] ?? (boundKey ? sandboxes.get(boundKey) : undefined);
    if (bound) return finished(writeStatus(steps, claim, { sandbox: bound }, ctx));
    if (isExpired(claim)) return finished(writeStatus(steps, claim, {}, ctx)); // never create or adopt once expired

    const reservation = reservationOf(claim);
    // Bound once and the sandbox is gone: never bind again.
    const previously = (claim.status as SandboxClaimStatus | undefined)?.sandbox?.name;
    if (previously) {
      const fresh = await readSandbox(steps, namespace, previously, ctx.signal);
      if (fresh && isOurs(fresh, claim)) return finished(writeStatus(steps, claim, { sandbox: fresh }, ctx));
      if (!fresh || reservation === previously) {
        return finished(writeStatus(steps, claim, { sandboxName: previously, unbound: { reason: ClaimReason.SandboxMissing, message: ClaimMessage.sandboxMissing } }, ctx));
      }
    }

    const pool = pools.get(`${namespace}/${claim.spec.warmPoolRef.name}`);
    if (!pool) return finished(writeStatus(steps, claim, { unbound: { reason: ClaimReason.WarmPoolNotFound, message: ClaimMessage.warmPoolNotFound(claim.spec.warmPoolRef.name) } }, ctx));
    const templateName = pool.spec.sandboxTemplateRef.name;
    const template = templates.get(`${namespace}/${templateName}`);
    if (!template) return finished(writeStatus(steps, claim, { unbound: { reason: ClaimReason.TemplateNotFound, message: `SandboxTemplate "${templateName}" not found` } }, ctx));

    const problems = validateAdditionalPodMetadata(claim.spec.additionalPodMetadata, { allowedLabelDomains: options.allowedLabelDomains, template: template.spec.podTemplate.metadata });
    if (problems.length > 0 && !reservation) {
      const message = formatFieldErrors(problems);
      steps.events.event(claim, 'Warning', 'ClaimRejected', message);
      return finished(writeStatus(steps, claim, { unbound: { reason: ClaimReason.InvalidMetadata, message } }, ctx));
    }
    return { pool, template };
  }

  /**
   * Reserve, then settle or start cold: a reservation already made is followed first; else a
   * claim that asks for env or volumes starts cold; else warm members are tried, from this
   * claim's own point among them, before it starts cold. Undefined when another worker or
   * replica moved the claim on (its update brings it back).
   */
  async function bind(claim: ClaimObject, pool: PoolObject, template: TemplateObject, ctx: ReconcileContext): Promise<Bound | undefined> {
    const reservation = reservationOf(claim);
    const coldOnly = (claim.spec.env?.length ?? 0) > 0 || (claim.spec.volumeClaimTemplates?.length ?? 0) > 0;
    if (reservation === claim.metadata.name || (coldOnly && !reservation)) return startCold(steps, claim, template, ctx);
    if (reservation) {
      const settled = await settleReservation(steps, claim, pool, reservation, ctx);
      if (settled !== 'void') return { claim, sandbox: settled };
    }

    // Warm: members from the cache, starting at this claim's own point among them.
    const strategy = pool.spec.updateStrategy?.type ?? 'OnReplenish';
    const fresh = strategy === 'OnReplenish' ? undefined : { templateName: pool.spec.sandboxTemplateRef.name, hash: templateHash(template) };
    const members = steps.sandboxes.byIndex(CONTROLLER_UID_INDEX, pool.metadata.uid!);
    const candidates = orderCandidates(members, claim.metadata.uid!, { fresh, skip: (s) => state.skip(s) });
    ctx.span.setAttribute('agent_sandbox.pool.candidates', candidates.length);
    let lost = 0;
    for (const candidate of candidates.slice(0, maxAttempts)) {
      const reserved = await reserve(steps, claim, candidate.metadata.name!, ctx.signal);
      if (!reserved) {
        // Another worker moved the claim on: its update brings the claim back.
        if (lost > 0) ctx.span.setAttributes({ 'agent_sandbox.adoption.outcome': 'lost', 'agent_sandbox.adoption.lost': lost });
        return undefined;
      }
      claim = reserved;
      const settled = await settleReservation(steps, claim, pool, candidate.metadata.name!, ctx, candidate);
      if (settled !== 'void') {
        if (lost > 0) ctx.span.setAttribute('agent_sandbox.adoption.lost', lost);
        return { claim, sandbox: settled };
      }
      lost++;
    }
    if (lost > 0) ctx.span.setAttribute('agent_sandbox.adoption.lost', lost);
    return startCold(steps, claim, template, ctx);
  }
}

/** A status write that ends the pass. */
async function finished(write: Promise<{ stop: true }>): Promise<'done'> {
  await write;
  return 'done';
}
