import {
  EXPIRED_AT_ANNOTATION,
  expiredAt,
  legacyExpiredCondition,
  POD_NAME_ANNOTATION,
  SandboxReason,
  controllerOf,
} from '@agent-sandbox/api';
import {
  DeadlineScheduler,
  isConflict,
  isNotFound,
  Kinds,
  TokenBucket,
  type DueDeadline,
  objectKey,
  type KubeObject,
  type Manager,
  type ReconcileContext,
  type Request,
  type ResourceKind,
} from '@agent-sandbox/runtime';
import { claimDeadline, DeadlineReason, sandboxDeadline, type Deadline } from './deadlines/deadlines.ts';
import { ClaimKind, SandboxKind, type ClaimObject, type SandboxObject } from './kinds.ts';
import { ReaperMetrics } from './metrics.ts';

export interface ReaperOptions {
  workers: number;
  actionsPerSecond: number;
  actionBurst: number;
  now?: () => number;
}

const SANDBOX_PREFIX = 'sandbox:';
const CLAIM_PREFIX = 'claim:';

const annotated = (obj: KubeObject) => obj.metadata.annotations?.[EXPIRED_AT_ANNOTATION] !== undefined;

/** An object expired already: its deadline is when it expired (or 0 for a time that does not parse). */
const expiredDeadline = (at: string): Deadline => ({ at: Date.parse(at) || 0, reason: DeadlineReason.ShutdownTimeReached });

/** RFC 3339 to the second, as Kubernetes writes condition times. */
const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The only program that acts on clocks. Informers keep every Sandbox and SandboxClaim deadline
 * in one heap with one timer; at a deadline the key goes to the kind's controller, whose
 * reconcile reads the object afresh from the API server (the cache may lag a deadline just
 * moved) and acts by its shutdown policy on that version only (resourceVersion preconditions). Only the leader's
 * controllers act; every replica keeps the heap warm.
 *
 * Expiry under `Retain` is handed to the other programs by the annotation
 * `agents.x-k8s.io/expired-at` [ext]; their statuses stay the standard's. An object expired by an
 * earlier version carries an `Expired` condition instead: the reaper moves it to the annotation
 * (keeping its time), and the status writers then drop the condition.
 */
export function registerReaper(manager: Manager, options: ReaperOptions): { scheduler: DeadlineScheduler } {
  const now = options.now ?? Date.now;
  // Deadlines missed while the reaper was down come due together at start: worked off at this pace.
  const limiter = new TokenBucket(options.actionsPerSecond, options.actionBurst);
  // The reaper needs deadlines, policies, conditions and ownership; not the pod template.
  manager.transform<SandboxObject>(SandboxKind, (sb) => ({ ...sb, spec: { ...sb.spec, podTemplate: { spec: { containers: [] } } } }));
  const sandboxes = manager.informer<SandboxObject>(SandboxKind);
  const claims = manager.informer<ClaimObject>(ClaimKind);

  const scheduler: DeadlineScheduler = new DeadlineScheduler((due) => onDue(due));
  const metrics = new ReaperMetrics(manager.registry, () => scheduler.size);

  /**
   * Expired Sandboxes (by uid) whose Pod and Service this process has seen gone after the
   * sandbox-controller had seen the expiry. Two things can leave them behind otherwise:
   * - a crash between the annotation and the deletions: an expired Sandbox's status no longer
   *   says whether they are gone, so after a restart each is looked at once more;
   * - a sandbox-controller whose cache lags the annotation sees the Pod or Service deleted and
   *   makes it again. Its status Ready=False/SandboxExpired proves it has seen the expiry (its
   *   cache only moves forward, and a key is never reconciled twice at once), so a deletion pass
   *   that starts from that status is the last one needed.
   */
  const settled = new Set<string>();
  const expiryReflected = (sb: SandboxObject) => sb.status?.conditions?.some((c) => c.type === 'Ready' && c.reason === SandboxReason.SandboxExpired) === true;

  /** The deadline still to act on, or none when there is nothing (left) to do. */
  const sandboxPending = (sb: SandboxObject): Deadline | undefined => {
    if (sb.metadata.deletionTimestamp) return undefined;
    const expired = expiredAt(sb);
    if (expired === undefined) return sandboxDeadline(sb);
    if (annotated(sb) && settled.has(sb.metadata.uid!)) return undefined;
    return expiredDeadline(expired);
  };
  const ownedSandbox = (claim: ClaimObject): SandboxObject | undefined => {
    const name = claim.status?.sandbox?.name;
    const sb = name ? sandboxes.store.get(`${claim.metadata.namespace}/${name}`) : undefined;
    return sb && controllerOf(sb)?.uid === claim.metadata.uid ? sb : undefined;
  };
  const claimPending = (claim: ClaimObject): Deadline | undefined => {
    if (claim.metadata.deletionTimestamp) return undefined;
    const expired = expiredAt(claim);
    if (expired === undefined) return claimDeadline(claim);
    // Expired (its Sandbox is looked up in the cache, which every Sandbox event updates): done once that is gone.
    if (annotated(claim) && !ownedSandbox(claim)) return undefined;
    return expiredDeadline(expired);
  };

  const track = <T extends KubeObject>(prefix: string, pending: (obj: T) => Deadline | undefined) => ({
    add: (obj: T) => scheduler.set(prefix + objectKey(obj), pending(obj)?.at),
    update: (_old: T, obj: T) => scheduler.set(prefix + objectKey(obj), pending(obj)?.at),
    delete: (obj: T) => {
      scheduler.delete(prefix + objectKey(obj));
      settled.delete(obj.metadata.uid!);
    },
  });
  sandboxes.addHandlers(track<SandboxObject>(SANDBOX_PREFIX, sandboxPending));
  claims.addHandlers(track<ClaimObject>(CLAIM_PREFIX, claimPending));
  // Whether an expired claim has work left depends on the Sandbox it controls: a Sandbox that
  // comes under a claim, or leaves it, makes that claim's deadline be looked at again.
  const reconsiderClaimOf = (sb: SandboxObject) => {
    const owner = controllerOf(sb);
    if (owner?.kind !== ClaimKind.kind) return;
    const key = `${sb.metadata.namespace}/${owner.name}`;
    const claim = claims.store.get(key);
    if (claim) scheduler.set(CLAIM_PREFIX + key, claimPending(claim)?.at);
  };
  sandboxes.addHandlers({ add: reconsiderClaimOf, update: (old, sb) => (reconsiderClaimOf(old), reconsiderClaimOf(sb)), delete: reconsiderClaimOf });

  /**
   * Keys with a deadline, earliest first: the replay order when this replica starts leading.
   * The controllers start before the caches sync (each reconcile reads its object afresh from
   * the API server before acting, and a claim's deadline is looked at again when its Sandbox
   * arrives): after a restart, a deadline that came due meanwhile is acted on as soon as the
   * object streams in, not after every object has.
   */
  const byDeadline = <T extends KubeObject>(objs: T[], pending: (obj: T) => Deadline | undefined) =>
    objs
      .map((obj) => ({ key: objectKey(obj), at: pending(obj)?.at }))
      .filter((d): d is { key: string; at: number } => d.at !== undefined)
      .sort((a, b) => a.at - b.at)
      .map((d) => d.key);

  const sandboxController = manager.register({
    name: 'ttl-sandbox',
    kind: SandboxKind,
    concurrency: options.workers,
    initialKeys: () => byDeadline(sandboxes.store.list(), sandboxPending),
    startBeforeSync: true,
    reconcile: (req, ctx) => reapSandbox(req, ctx),
  });
  const claimController = manager.register({
    name: 'ttl-claim',
    kind: ClaimKind,
    concurrency: options.workers,
    initialKeys: () => byDeadline(claims.store.list(), claimPending),
    startBeforeSync: true,
    reconcile: (req, ctx) => reapClaim(req, ctx),
  });

  function onDue(due: DueDeadline[]): void {
    for (const { key } of due) {
      if (key.startsWith(SANDBOX_PREFIX)) sandboxController.enqueue(key.slice(SANDBOX_PREFIX.length));
      else if (key.startsWith(CLAIM_PREFIX)) claimController.enqueue(key.slice(CLAIM_PREFIX.length));
    }
  }

  async function deleteIfOwnedBy(kind: ResourceKind, namespace: string, name: string, owner: KubeObject, ctx: ReconcileContext): Promise<KubeObject | undefined> {
    let obj: KubeObject;
    try {
      obj = await manager.client.get(kind, { namespace, name }, { signal: ctx.signal });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    // Never touch what this owner does not control.
    if (controllerOf(obj)?.uid !== owner.metadata.uid || obj.metadata.deletionTimestamp) return undefined;
    try {
      await manager.writer.delete(kind, obj, { propagationPolicy: 'Background', signal: ctx.signal });
      return obj;
    } catch (err) {
      if (isNotFound(err) || (err as { code?: number }).code === 409) return undefined;
      throw err;
    }
  }

  /**
   * Deletes `obj`: this very object (uid precondition), and with `version`, only as it was read
   * (resourceVersion precondition: a deadline moved meanwhile is never acted on). 'gone' when
   * there was nothing of ours to delete, 'changed' when it changed since it was read.
   */
  async function deleteObject(kind: ResourceKind, obj: KubeObject, propagationPolicy: 'Background' | 'Foreground', ctx: ReconcileContext, version = false): Promise<'deleted' | 'gone' | 'changed'> {
    try {
      await manager.writer.delete(kind, obj, { lock: version, propagationPolicy, signal: ctx.signal });
      return 'deleted';
    } catch (err) {
      if (isNotFound(err)) return 'gone';
      if (!isConflict(err)) throw err;
      // A namesake (uid) is not ours; a newer version of ours is read again.
      return version ? 'changed' : 'gone';
    }
  }

  /**
   * The object as the API server has it now, or undefined when it is gone or replaced by a
   * namesake. Deadlines come due from the cache, which may lag a deadline moved a moment ago:
   * the reaper acts only on what it reads here.
   */
  async function readFresh<T extends KubeObject>(kind: ResourceKind, cached: T, ctx: ReconcileContext): Promise<T | undefined> {
    try {
      const obj = await manager.client.get<T>(kind, { namespace: cached.metadata.namespace, name: cached.metadata.name! }, { signal: ctx.signal });
      return obj.metadata.uid === cached.metadata.uid ? obj : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Writes `agents.x-k8s.io/expired-at: <at>` on the version read (the resourceVersion makes the
   * merge patch conditional); false if the object changed since.
   */
  async function annotateExpired(kind: ResourceKind, obj: KubeObject, at: string, ctx: ReconcileContext): Promise<boolean> {
    try {
      await manager.writer.patch(kind, obj, { metadata: { annotations: { [EXPIRED_AT_ANNOTATION]: at } } }, { signal: ctx.signal });
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  /**
   * Marks `obj` expired unless it is already: the annotation, with the time of a legacy
   * `Expired` condition when it has one (a migration, not a new expiry). 'new' when this
   * expired it now, 'changed' when it changed since it was read.
   */
  async function expire(kind: ResourceKind, obj: KubeObject & { status?: unknown }, deadline: Deadline, ctx: ReconcileContext): Promise<'new' | 'already' | 'changed'> {
    if (annotated(obj)) return 'already';
    const legacy = legacyExpiredCondition(obj as Parameters<typeof legacyExpiredCondition>[0]);
    if (!legacy) await limiter.take(ctx.signal);
    const at = legacy?.lastTransitionTime || rfc3339(deadline.at);
    if (!(await annotateExpired(kind, obj, at, ctx))) return 'changed';
    if (!legacy) return 'new';
    ctx.log.info({ expiredAt: at }, 'moved the legacy Expired condition to the expired-at annotation');
    return 'already';
  }

  const observeLag = (kind: string, deadline: Deadline) => metrics.lag.observe({ kind }, Math.max(0, now() - deadline.at) / 1000);

  /** Reads and tries again when the object changed between reading and acting, before backing off. */
  const ATTEMPTS = 3;

  /**
   * The reconcile of one kind: due in the cache, then read afresh and checked again, then acted
   * on (`expire`) as read. A change between reading and acting means reading again, a few times;
   * after that, back off (throw).
   */
  function reaper<T extends KubeObject>(kind: ResourceKind, store: { get(key: string): T | undefined }, prefix: string, pending: (obj: T) => Deadline | undefined, expire: (req: Request, obj: T, deadline: Deadline, ctx: ReconcileContext) => Promise<'done' | 'changed'>) {
    return async (req: Request, ctx: ReconcileContext): Promise<void> => {
      const cached = store.get(req.key);
      const due = cached && pending(cached);
      if (!cached || !due) return;
      if (due.at > now()) return void scheduler.set(prefix + req.key, due.at);
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const obj = await readFresh(kind, cached, ctx);
        const deadline = obj && pending(obj);
        if (!obj || !deadline) return;
        if (deadline.at > now()) return void scheduler.set(prefix + req.key, deadline.at);
        if ((await expire(req, obj, deadline, ctx)) !== 'changed') return;
      }
      throw new Error(`${kind.kind} ${req.key} keeps changing at its deadline; retrying`);
    };
  }
  const reapSandbox = reaper(SandboxKind, sandboxes.store, SANDBOX_PREFIX, sandboxPending, expireSandbox);
  const reapClaim = reaper(ClaimKind, claims.store, CLAIM_PREFIX, claimPending, expireClaim);

  async function expireSandbox(req: Request, sb: SandboxObject, deadline: Deadline, ctx: ReconcileContext): Promise<'done' | 'changed'> {
    const policy = sb.spec?.shutdownPolicy ?? 'Retain';
    const when = rfc3339(deadline.at);

    if (policy === 'Delete') {
      await limiter.take(ctx.signal);
      // A key can come due twice (replay at start and the timer) before the deletion is seen.
      const outcome = await deleteObject(SandboxKind, sb, 'Background', ctx, true);
      if (outcome !== 'deleted') return outcome === 'changed' ? 'changed' : 'done';
      manager.events.event(sb, 'Normal', 'ShutdownTimeReached', `shutdownTime ${when} reached: deleted the Sandbox (shutdownPolicy Delete)`, 'Delete');
      observeLag('Sandbox', deadline);
      metrics.actions.inc({ kind: 'Sandbox', policy });
      ctx.log.info({ deadline: when, policy }, 'deleted the Sandbox at its shutdownTime');
      return 'done';
    }

    const expired = await expire(SandboxKind, sb, deadline, ctx);
    if (expired === 'changed') return 'changed';
    if (expired === 'new') {
      observeLag('Sandbox', deadline);
      metrics.actions.inc({ kind: 'Sandbox', policy });
      manager.events.event(sb, 'Normal', 'ShutdownTimeReached', `shutdownTime ${when} reached: Sandbox expired (shutdownPolicy Retain); its Pod and Service are deleted, the Sandbox and its PVCs are kept`, 'Expire');
      ctx.log.info({ deadline: when, policy }, 'marked the Sandbox expired');
    }
    const namespace = sb.metadata.namespace!;
    const podName = sb.metadata.annotations?.[POD_NAME_ANNOTATION] || req.name;
    const [pod, service] = await Promise.all([
      deleteIfOwnedBy(Kinds.Pod, namespace, podName, sb, ctx),
      deleteIfOwnedBy(Kinds.Service, namespace, req.name, sb, ctx),
    ]);
    if (pod || service) {
      const gone = [pod && `Pod ${pod.metadata.name}`, service && `Service ${service.metadata.name}`].filter(Boolean).join(' and ');
      manager.events.event(sb, 'Normal', 'ShutdownTimeReached', `deleted ${gone} of the expired Sandbox`, 'Delete');
      ctx.log.info({ deadline: when, pod: pod?.metadata.name, service: service?.metadata.name }, 'expired the Sandbox');
    }
    // `sb` was read before the deletions: if it shows the expiry reflected, nothing made the Pod
    // or Service again after them; if not, the status update that reflects it brings us back.
    if (expiryReflected(sb)) settled.add(sb.metadata.uid!);
    return 'done';
  }

  async function expireClaim(_req: Request, claim: ClaimObject, deadline: Deadline, ctx: ReconcileContext): Promise<'done' | 'changed'> {
    const policy = claim.spec?.lifecycle?.shutdownPolicy ?? 'Retain';
    const what = deadline.reason === DeadlineReason.TTLAfterFinishedReached ? `ttlSecondsAfterFinished elapsed at ${rfc3339(deadline.at)}` : `shutdownTime ${rfc3339(deadline.at)} reached`;

    if (policy === 'Delete' || policy === 'DeleteForeground') {
      await limiter.take(ctx.signal);
      const propagation = policy === 'Delete' ? 'Background' : 'Foreground';
      const outcome = await deleteObject(ClaimKind, claim, propagation, ctx, true);
      if (outcome !== 'deleted') return outcome === 'changed' ? 'changed' : 'done';
      manager.events.event(claim, 'Normal', deadline.reason, `${what}: deleted the claim (shutdownPolicy ${policy})`, 'Delete');
      observeLag('SandboxClaim', deadline);
      metrics.actions.inc({ kind: 'SandboxClaim', policy });
      ctx.log.info({ policy, reason: deadline.reason }, 'deleted the claim at its deadline');
      return 'done';
    }

    const expired = await expire(ClaimKind, claim, deadline, ctx);
    if (expired === 'changed') return 'changed';
    if (expired === 'new') {
      observeLag('SandboxClaim', deadline);
      metrics.actions.inc({ kind: 'SandboxClaim', policy });
      manager.events.event(claim, 'Normal', deadline.reason, `${what}: claim expired (shutdownPolicy Retain)`, 'Expire');
      ctx.log.info({ policy, reason: deadline.reason }, 'marked the claim expired');
    }
    // The claim is expired for good now: its Sandbox goes, whatever version of it there is. Read
    // from the API server, not the cache: the cache may not show yet that the claim took it.
    const name = claim.status?.sandbox?.name;
    const sandbox = name ? await deleteIfOwnedBy(SandboxKind, claim.metadata.namespace!, name, claim, ctx) : undefined;
    if (sandbox) {
      manager.events.event(sandbox, 'Normal', 'ClaimExpired', `the owning claim ${claim.metadata.name} expired: deleted the Sandbox`, 'Delete');
      ctx.log.info({ sandbox: sandbox.metadata.name }, 'deleted the Sandbox of the expired claim');
    }
    return 'done';
  }

  return { scheduler };
}
