import {
  ClaimMessage,
  ClaimReason,
  CLAIM_FIRST_READY_AT_ANNOTATION,
  CONTROLLER_FIRST_OBSERVED_AT_ANNOTATION,
  controllerRef,
  formatFieldErrors,
  LAUNCH_TYPE_LABEL,
  SANDBOX_NAME_ANNOTATION,
  validateAdditionalPodMetadata,
  type SandboxClaimStatus,
  templateHash,
} from '@agent-sandbox/api';
import { CONTROLLER_UID_INDEX, controllerOf, isAlreadyExists, isConflict, isNotFound, OwnWrites, type Manager, type ReconcileContext, type Reconciler } from '@agent-sandbox/runtime';
import { ClaimKind, PoolKind, SandboxKind, TemplateKind, type ClaimObject, type PoolObject, type SandboxObject, type TemplateObject } from '../kinds.ts';
import { adoptionPatch } from './adoption.ts';
import { orderCandidates } from './candidates.ts';
import { nanoTime, type ClaimMetrics } from './claim-metrics.ts';
import { claimStatusPatch, computeClaimStatus, isExpired, statusDiffers, type ClaimObservation } from './claim-status.ts';
import { coldSandbox, isRejection } from './cold-sandbox.ts';

export interface ClaimReconcilerOptions {
  metrics: ClaimMetrics;
  allowedLabelDomains?: readonly string[];
  /** Members tried per pass before the claim starts cold. */
  maxAttempts?: number;
}

/** What this process knows ahead of its cache, shared by its workers. */
export class LocalState {
  /** Members a worker of this process is adopting right now. */
  readonly inFlight = new Set<string>();
  /** Members taken (or lost) at a resourceVersion the cache may still show: `ns/name` → rv. */
  readonly taken = new Map<string, string>();
  /** Claims bound by this process whose Sandbox the cache does not show as theirs yet: claim uid → `ns/name`. */
  readonly bound = new Map<string, string>();
  /** This process's last write of each claim, while the cache still shows an older version. */
  readonly claims = new OwnWrites<ClaimObject>();

  skip(s: SandboxObject): boolean {
    const key = `${s.metadata.namespace}/${s.metadata.name}`;
    return this.inFlight.has(key) || this.taken.get(key) === s.metadata.resourceVersion;
  }

  /** The cache moved on: what it shows now is newer than what we remembered. */
  observed(s: SandboxObject): void {
    const key = `${s.metadata.namespace}/${s.metadata.name}`;
    const rv = this.taken.get(key);
    if (rv !== undefined && rv !== s.metadata.resourceVersion) this.taken.delete(key);
    const owner = controllerOf(s);
    if (owner && this.bound.get(owner.uid) === key) this.bound.delete(owner.uid);
  }
}

type Outcome = { sandbox: SandboxObject; claim: ClaimObject } | { stop: true } | { claim: ClaimObject; next: true };

/**
 * SandboxClaim → a bound Sandbox. The claim first records which sandbox it reserves (an
 * annotation written under the claim's resourceVersion, so two workers or replicas can never
 * both proceed for one claim), then takes that member in one optimistic-locked write, or
 * creates its cold Sandbox. A reservation is dropped only when a fresh read shows the
 * reserved member is gone or someone else's: so no claim ever holds two sandboxes.
 */
export function claimReconciler(manager: Manager, options: ClaimReconcilerOptions, state = new LocalState()): Reconciler {
  const claims = manager.informer<ClaimObject>(ClaimKind).store;
  const sandboxes = manager.informer<SandboxObject>(SandboxKind).store;
  const pools = manager.informer<PoolObject>(PoolKind).store;
  const templates = manager.informer<TemplateObject>(TemplateKind).store;
  const { client, writer, events } = manager;
  const { metrics } = options;
  const maxAttempts = options.maxAttempts ?? 8;
  const fieldManager = writer.fieldManager;

  const claimOwner = (claim: ClaimObject) => controllerRef({ apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxClaim', metadata: claim.metadata });
  const isOurs = (s: SandboxObject | undefined, claim: ClaimObject) => s !== undefined && controllerOf(s)?.uid === claim.metadata.uid;

  async function getSandbox(namespace: string, name: string, signal: AbortSignal): Promise<SandboxObject | undefined> {
    try {
      return await client.get<SandboxObject>(SandboxKind, { namespace, name }, { signal });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Writes the reservation (and the first-observed time) under the claim's resourceVersion; undefined if the claim moved on. */
  async function reserve(claim: ClaimObject, sandboxName: string, signal: AbortSignal): Promise<ClaimObject | undefined> {
    const annotations: Record<string, string> = { [SANDBOX_NAME_ANNOTATION]: sandboxName };
    if (!claim.metadata.annotations?.[CONTROLLER_FIRST_OBSERVED_AT_ANNOTATION]) annotations[CONTROLLER_FIRST_OBSERVED_AT_ANNOTATION] = nanoTime();
    try {
      const updated = await client.patch<ClaimObject>(ClaimKind, { namespace: claim.metadata.namespace, name: claim.metadata.name! }, {
        metadata: { resourceVersion: claim.metadata.resourceVersion, annotations },
      }, { type: 'merge', fieldManager, signal });
      return withKind(state.claims.remember(updated));
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return undefined; // a newer version is on its way to the cache
      throw err;
    }
  }

  /** Takes `member` for `claim` in one write; the member as written, or undefined when it changed meanwhile. */
  async function adopt(claim: ClaimObject, member: SandboxObject, signal: AbortSignal): Promise<SandboxObject | undefined> {
    const key = `${member.metadata.namespace}/${member.metadata.name}`;
    state.inFlight.add(key);
    try {
      const taken = await client.patch<SandboxObject>(SandboxKind, { namespace: member.metadata.namespace, name: member.metadata.name! }, adoptionPatch(claim, member), { type: 'merge', fieldManager, signal });
      state.bound.set(claim.metadata.uid!, key);
      return taken;
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return undefined;
      throw err;
    } finally {
      state.taken.set(key, member.metadata.resourceVersion!);
      state.inFlight.delete(key);
    }
  }

  /**
   * Follows a warm reservation to its end: bound (ours), or proof that it never can be (the
   * member is gone or controlled by someone else), after which another may be reserved.
   */
  async function settleReservation(claim: ClaimObject, pool: PoolObject, name: string, ctx: ReconcileContext, first?: SandboxObject): Promise<SandboxObject | 'void'> {
    const namespace = claim.metadata.namespace!;
    let current = first;
    for (let i = 0; i < 4; i++) {
      current ??= await getSandbox(namespace, name, ctx.signal);
      if (!current) return 'void';
      if (isOurs(current, claim)) return current;
      if (controllerOf(current)?.uid !== pool.metadata.uid || current.metadata.deletionTimestamp) return 'void';
      const taken = await adopt(claim, current, ctx.signal);
      if (taken) {
        events.event(claim, 'Normal', 'SandboxAdopted', `took warm Sandbox ${name} from pool ${pool.metadata.name}`);
        metrics.creations.inc({ namespace, launch_type: 'warm' });
        return taken;
      }
      current = undefined; // changed meanwhile: read it again
    }
    throw new Error(`Sandbox ${name} keeps changing; retrying`);
  }

  async function startCold(claim: ClaimObject, template: TemplateObject, ctx: ReconcileContext): Promise<Outcome> {
    const namespace = claim.metadata.namespace!;
    const body = coldSandbox(claim, template, claimOwner(claim));
    if (isRejection(body)) {
      events.event(claim, 'Warning', 'ClaimRejected', body.message);
      return { ...(await finish(claim, { unbound: body }, ctx)), stop: true };
    }
    if (claim.metadata.annotations?.[SANDBOX_NAME_ANNOTATION] !== claim.metadata.name) {
      const reserved = await reserve(claim, claim.metadata.name!, ctx.signal);
      if (!reserved) return { stop: true };
      claim = reserved;
    }
    try {
      const created = await writer.create<SandboxObject>(SandboxKind, body, { signal: ctx.signal });
      state.bound.set(claim.metadata.uid!, `${namespace}/${claim.metadata.name}`);
      events.event(claim, 'Normal', 'SandboxProvisioned', `started Sandbox ${claim.metadata.name} cold from template ${template.metadata.name}`);
      metrics.creations.inc({ namespace, launch_type: 'cold' });
      return { claim, sandbox: created };
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await getSandbox(namespace, claim.metadata.name!, ctx.signal);
      if (existing && isOurs(existing, claim)) return { claim, sandbox: existing };
      if (!existing) throw new Error(`Sandbox ${claim.metadata.name} exists and vanished; retrying`, { cause: err });
      await finish(claim, { unbound: { reason: ClaimReason.AdoptionConflict, message: `a Sandbox named ${claim.metadata.name} exists and is not controlled by this claim` } }, ctx);
      return { stop: true };
    }
  }

  /** Writes the status (under the claim's resourceVersion) and, at the first Ready, the ready time and metrics. */
  async function finish(claim: ClaimObject, obs: ClaimObservation, ctx: ReconcileContext): Promise<{ stop: true }> {
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
        state.claims.remember(await client.patch<ClaimObject>(ClaimKind, { namespace: claim.metadata.namespace, name: claim.metadata.name! }, {
          metadata: { resourceVersion: current.metadata.resourceVersion, annotations: { [CLAIM_FIRST_READY_AT_ANNOTATION]: nanoTime(now) } },
        }, { type: 'merge', fieldManager, signal: ctx.signal }));
        // Only the writer of the annotation records: once per claim, whatever the replicas.
        metrics.observeFirstReady(current, obs.sandbox.metadata.labels?.[LAUNCH_TYPE_LABEL] ?? 'unknown', now);
      } catch (err) {
        if (!isConflict(err) && !isNotFound(err)) throw err;
      }
    }
    return { stop: true };
  }

  return async (req, ctx) => {
    const cached = state.claims.fresher(req.key, claims.get(req.key));
    if (!cached || cached.metadata.deletionTimestamp) return;
    let claim = withKind(cached);
    const namespace = claim.metadata.namespace!;
    const uid = claim.metadata.uid!;

    // Bound already (the cache says so, or this process did it and the cache lags)?
    const boundKey = state.bound.get(uid);
    const bound = sandboxes.byIndex(CONTROLLER_UID_INDEX, uid)[0] ?? (boundKey ? sandboxes.get(boundKey) : undefined);
    if (bound) return void (await finish(claim, { sandbox: bound }, ctx));
    if (isExpired(claim)) return void (await finish(claim, {}, ctx)); // never create or adopt once expired

    const reservation = claim.metadata.annotations?.[SANDBOX_NAME_ANNOTATION];
    // Bound once and the sandbox is gone: never bind again.
    const previously = (claim.status as SandboxClaimStatus | undefined)?.sandbox?.name;
    if (previously) {
      const fresh = await getSandbox(namespace, previously, ctx.signal);
      if (fresh && isOurs(fresh, claim)) return void (await finish(claim, { sandbox: fresh }, ctx));
      if (!fresh || reservation === previously) {
        return void (await finish(claim, { sandboxName: previously, unbound: { reason: ClaimReason.SandboxMissing, message: ClaimMessage.sandboxMissing } }, ctx));
      }
    }

    const pool = pools.get(`${namespace}/${claim.spec.warmPoolRef.name}`);
    if (!pool) return void (await finish(claim, { unbound: { reason: ClaimReason.WarmPoolNotFound, message: ClaimMessage.warmPoolNotFound(claim.spec.warmPoolRef.name) } }, ctx));
    const templateName = pool.spec.sandboxTemplateRef.name;
    const template = templates.get(`${namespace}/${templateName}`);
    if (!template) return void (await finish(claim, { unbound: { reason: ClaimReason.TemplateNotFound, message: `SandboxTemplate "${templateName}" not found` } }, ctx));

    const problems = validateAdditionalPodMetadata(claim.spec.additionalPodMetadata, { allowedLabelDomains: options.allowedLabelDomains, template: template.spec.podTemplate.metadata });
    if (problems.length > 0 && !reservation) {
      const message = formatFieldErrors(problems);
      events.event(claim, 'Warning', 'ClaimRejected', message);
      return void (await finish(claim, { unbound: { reason: ClaimReason.InvalidMetadata, message } }, ctx));
    }

    let outcome: Outcome | undefined;
    const coldOnly = (claim.spec.env?.length ?? 0) > 0 || (claim.spec.volumeClaimTemplates?.length ?? 0) > 0;
    if (reservation === claim.metadata.name || (coldOnly && !reservation)) {
      outcome = await startCold(claim, template, ctx);
    } else if (reservation) {
      const settled = await settleReservation(claim, pool, reservation, ctx);
      if (settled !== 'void') outcome = { claim, sandbox: settled };
    }

    if (!outcome) {
      // Warm: members from the cache, starting at this claim's own point among them.
      const strategy = pool.spec.updateStrategy?.type ?? 'OnReplenish';
      const fresh = strategy === 'OnReplenish' ? undefined : { templateName, hash: templateHash(template) };
      const candidates = orderCandidates(sandboxes.byIndex(CONTROLLER_UID_INDEX, pool.metadata.uid!), uid, { fresh, skip: (s) => state.skip(s) });
      for (const candidate of candidates.slice(0, maxAttempts)) {
        const reserved = await reserve(claim, candidate.metadata.name!, ctx.signal);
        if (!reserved) return; // another worker or replica moved the claim on: its update brings us back
        claim = reserved;
        const settled = await settleReservation(claim, pool, candidate.metadata.name!, ctx, candidate);
        if (settled !== 'void') {
          outcome = { claim, sandbox: settled };
          break;
        }
      }
      if (!outcome) outcome = await startCold(claim, template, ctx);
    }
    if ('sandbox' in outcome) await finish(outcome.claim, { sandbox: outcome.sandbox }, ctx);
  };
}

function withKind(claim: ClaimObject): ClaimObject {
  return { ...claim, apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxClaim' };
}
