import {
  controllerRef,
  nameHash,
  type SandboxWarmPoolStatus,
  templateHash,
} from '@agent-sandbox/api';
import { CONTROLLER_UID_INDEX, controllerOf, inBatches, isConflict, isNotFound, OwnWrites, slowStart, type Expectations, type Manager, type Reconciler } from '@agent-sandbox/runtime';
import { PoolKind, SandboxKind, TemplateKind, type PoolObject, type SandboxObject, type TemplateObject } from '../kinds.ts';
import { memberSandbox, memberView, onlyCountsDiffer, poolStatus, statusDiffers } from './members.ts';
import { plan } from './plan.ts';

/** Index of Sandboxes by `<namespace>/<pool label value>`: orphans a pool may adopt. */
export const POOL_LABEL_INDEX = 'pool-label';

export interface PoolReconcilerOptions {
  expectations: Expectations;
  /** A member not Ready this long after creation is replaced (unless unschedulable). */
  readyGraceMs: number;
  /** Largest slow-start batch of creates, and the number of deletes sent at once. */
  maxBatch: number;
  /** Least time between two status writes that change only the counts (0: no spacing). */
  statusIntervalMs?: number;
  now?: () => number;
}

/**
 * SandboxWarmPool → `spec.replicas` member Sandboxes: adopt orphans, then (once earlier writes
 * are observed) create and delete as the plan says, then write the status.
 */
export function poolReconciler(manager: Manager, options: PoolReconcilerOptions): Reconciler {
  const pools = manager.informer<PoolObject>(PoolKind).store;
  const sandboxes = manager.informer<SandboxObject>(SandboxKind).store;
  const templates = manager.informer<TemplateObject>(TemplateKind).store;
  const { writer, events } = manager;
  const { expectations } = options;
  const now = options.now ?? Date.now;
  const statusIntervalMs = options.statusIntervalMs ?? 1_000;
  // This process's last status writes, for reconciles that run before the watch brings them back.
  const ownPools = new OwnWrites<PoolObject>();
  /** When each pool's status was last written (ms). */
  const writtenAt = new Map<string, number>();

  return async (req, ctx) => {
    const cached = ownPools.fresher(req.key, pools.get(req.key));
    if (!cached || cached.metadata.deletionTimestamp) {
      expectations.forget(req.key);
      writtenAt.delete(req.key);
      return; // the garbage collector removes unclaimed members with their pool
    }
    const pool: PoolObject = { ...cached, apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxWarmPool' };
    const namespace = pool.metadata.namespace!;
    const owner = controllerRef(pool);
    const signal = ctx.signal;

    // Orphans carrying this pool's label come back under its control (optimistic lock: a claim
    // or another writer that got there first wins).
    const orphans = sandboxes.byIndex(POOL_LABEL_INDEX, `${namespace}/${nameHash(pool.metadata.name!)}`).filter((s) => !controllerOf(s) && !s.metadata.deletionTimestamp);
    for (const orphan of orphans) {
      try {
        await writer.patch(SandboxKind, orphan, { metadata: { ownerReferences: [...(orphan.metadata.ownerReferences ?? []), owner] } }, { signal });
        ctx.log.info({ sandbox: orphan.metadata.name }, 'adopted an orphaned member');
      } catch (err) {
        if (!isConflict(err) && !isNotFound(err)) throw err;
      }
    }

    const template = templates.get(`${namespace}/${pool.spec.sandboxTemplateRef.name}`);
    const hash = template ? templateHash(template) : undefined;
    const sandboxesOfPool = sandboxes.byIndex(CONTROLLER_UID_INDEX, pool.metadata.uid!).filter((s) => !s.metadata.deletionTimestamp);
    const members = sandboxesOfPool.map((s) => memberView(s, pool.spec.sandboxTemplateRef.name, hash));
    const decided = plan({
      replicas: pool.spec.replicas ?? 1,
      strategy: { type: pool.spec.updateStrategy?.type ?? 'OnReplenish', ...pool.spec.updateStrategy?.rollingUpdate },
      members,
      nowMs: now(),
      readyGraceMs: options.readyGraceMs,
      canCreate: template !== undefined,
    });

    let error: unknown;
    if (expectations.satisfied(req.key)) {
      /** Members the plan deleted that are still there: no replacement is made for them. */
      let kept = 0;
      if (decided.delete.length > 0) {
        const byName = new Map(sandboxesOfPool.map((s) => [s.metadata.name!, s]));
        const names = decided.delete.map((m) => m.name);
        expectations.expectDeletes(req.key, names);
        // A batch at a time; after a batch with an unexpected failure (the API server turning
        // requests away, say), the rest wait for the retry.
        const result = await inBatches(names, options.maxBatch, async (name) => {
          try {
            // The resourceVersion precondition loses to a claim that took the member meanwhile.
            await writer.delete(SandboxKind, byName.get(name)!, { lock: true, propagationPolicy: 'Background', signal });
          } catch (err) {
            expectations.deletionObserved(req.key, name);
            // Gone already: its replacement is due. Changed since it was read (taken by a claim,
            // written by someone) or not deleted for another reason: it still counts until the
            // next pass has looked at it again, or the pool would exceed its size.
            if (!isNotFound(err)) kept++;
            if (!isConflict(err) && !isNotFound(err)) throw err;
          }
        });
        for (const name of names.slice(result.tried)) {
          expectations.deletionObserved(req.key, name);
          kept++;
        }
        if (result.error) error ??= result.error;
        ctx.log.info({ deleted: names.length - kept, kept }, 'deleted members');
      }
      const create = Math.max(0, decided.create - kept);
      if (create > 0 && template && hash) {
        const body = memberSandbox(pool, template, hash, owner);
        const result = await slowStart(
          create,
          options.maxBatch,
          async () => {
            try {
              await writer.create(SandboxKind, body, { signal });
            } catch (err) {
              expectations.creationObserved(req.key);
              throw err;
            }
          },
          (n) => expectations.expectCreates(req.key, n),
        );
        ctx.log.info({ wanted: create, created: result.made }, 'created members');
        if (result.error) error ??= result.error;
      }
    }

    if (decided.held.length > 0) {
      events.event(pool, 'Warning', 'MembersUnschedulable', `${decided.held.length} member(s) not Ready after the grace period cannot be scheduled; held, not replaced`);
    }
    const status = poolStatus({ pool, members, plan: decided, templateFound: template !== undefined });
    let statusWait: number | undefined;
    const current = pool.status as SandboxWarmPoolStatus | undefined;
    if (statusDiffers(current, status)) {
      // Counts of a busy pool change with every claim: one write a second says them well enough.
      const left = (writtenAt.get(req.key) ?? -Infinity) + statusIntervalMs - now();
      if (left > 0 && onlyCountsDiffer(current, status)) statusWait = left;
      else {
        ownPools.remember(await writer.applyStatus<PoolObject>(PoolKind, { metadata: { name: pool.metadata.name, namespace }, status }, { signal }));
        writtenAt.set(req.key, now());
      }
    }
    if (error) throw error;
    const waits = [decided.requeueAfterMs, expectations.remainingMs(req.key), statusWait].filter((x): x is number => x !== undefined);
    return waits.length > 0 ? { requeueAfterMs: Math.min(...waits) } : undefined;
  };
}
