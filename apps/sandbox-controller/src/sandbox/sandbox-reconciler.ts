import { nameHash, SANDBOX_NAME_HASH_LABEL } from '@agent-sandbox/api';
import {
  CONTROLLER_UID_INDEX,
  controllerOf,
  isAlreadyExists,
  isConflict,
  isNotFound,
  Kinds,
  OwnWrites,
  type KubeObject,
  type Manager,
  type Reconciler,
  type ReconcileContext,
  type ResourceKind,
} from '@agent-sandbox/runtime';
import { SandboxKind, type PodObject, type PvcObject, type SandboxObject, type ServiceObject } from '../kinds.ts';
import type { SandboxMetrics } from '../metrics/sandbox-metrics.ts';
import { desiredPod, desiredPvc, desiredService, podNameOf, sandboxRef, serviceUpToDate } from './desired-objects.ts';
import { foreignReason, standingOf, withController } from './ownership.ts';
import { desiredPodMetadata, podMetadataPatch } from './pod-metadata.ts';
import { computeStatus, firstReady, isExpired, isSuspended, onlyProgress, statusChanged, statusPatch, type Observation } from './sandbox-status.ts';

export interface SandboxReconcilerOptions {
  clusterDomain: string;
  metrics?: SandboxMetrics;
  now?: () => Date;
}

/** A problem only a change elsewhere can fix (a foreign object in the way): look again later. */
const BLOCKED_RETRY_MS = 30_000;
/** A status write lost a resourceVersion race: look again this soon (the watch is usually there by then). */
const CONFLICT_RETRY_MS = 50;
/** How long progress towards Ready (see onlyProgress) may wait for the Ready write to carry it. */
const PROGRESS_WRITE_DELAY_MS = 2_000;

/**
 * Sandbox → its PVCs, Service and Pod, then its status. Reads the world from the caches, moves
 * it one step, and writes the status only when it says something new.
 */
export function sandboxReconciler(manager: Manager, options: SandboxReconcilerOptions): Reconciler {
  const sandboxes = manager.informer<SandboxObject>(SandboxKind).store;
  const podInformer = manager.informer<PodObject>(Kinds.Pod);
  const serviceInformer = manager.informer<ServiceObject>(Kinds.Service);
  const pvcInformer = manager.informer<PvcObject>(Kinds.PersistentVolumeClaim);
  const pods = podInformer.store;
  const services = serviceInformer.store;
  const pvcs = pvcInformer.store;
  const { writer, events } = manager;
  const now = options.now ?? (() => new Date());
  // This process's last writes, for reconciles that run before the watch brings them back.
  const ownSandboxes = new OwnWrites<SandboxObject>();
  const ownPods = new OwnWrites<PodObject>();
  /**
   * Routine progress of an unclaimed warm-pool member (Pod created, Ready) is not recorded as
   * an Event: the pool's status counts its members, and a busy pool would write two Events per
   * member. Warnings are always recorded, and every Event once a claim owns the sandbox.
   */
  const quiet = (sandbox: SandboxObject) => controllerOf(sandbox)?.kind === 'SandboxWarmPool';
  /** Sandboxes whose progress-only status is being held back, since when (ms). */
  const heldSince = new Map<string, number>();

  return async (req, ctx) => {
    const cached = ownSandboxes.fresher(req.key, sandboxes.get(req.key));
    if (!cached || cached.metadata.deletionTimestamp) return void heldSince.delete(req.key); // the garbage collector takes the rest
    const sandbox: SandboxObject = { ...cached, apiVersion: 'agents.x-k8s.io/v1beta1', kind: 'Sandbox' };
    const namespace = sandbox.metadata.namespace!;
    const hash = nameHash(sandbox.metadata.name!);
    const owner = { uid: sandbox.metadata.uid!, nameHash: hash };
    const signal = ctx.signal;
    const obs: Observation = { sandbox, hash, clusterDomain: options.clusterDomain, multiplePods: false };

    const controlled = pods.byIndex(CONTROLLER_UID_INDEX, owner.uid).map((p) => ownPods.fresher(`${p.metadata.namespace}/${p.metadata.name}`, p)!);
    if (!everythingCached(sandbox, hash, controlled.length > 0)) return { afterSync: true };
    if (controlled.length > 1) {
      obs.multiplePods = true;
      events.event(sandbox, 'Warning', 'MultiplePods', `${controlled.length} Pods are controlled by this Sandbox (${controlled.map((p) => p.metadata.name).sort().join(', ')}); nothing is created or deleted`);
      obs.service = ownedOrUndefined(services.get(`${namespace}/${sandbox.metadata.name}`), owner.uid);
      await writeStatus(obs, ctx);
      return;
    }

    const blocked: string[] = [];
    try {
      if (!isExpired(sandbox)) blocked.push(...(await ensurePvcs(sandbox, hash, signal)));
      obs.service = await reconcileService(sandbox, hash, blocked, signal);
      const outcome = await reconcilePod(sandbox, hash, controlled[0], blocked, ctx);
      if (outcome === 'wait') return { requeueAfterMs: 500 };
      obs.pod = outcome.pod;
      obs.foreignPod = outcome.foreign;
    } catch (err) {
      if (signal.aborted) throw err;
      obs.error = (err as Error).message;
      await writeStatus(obs, ctx).catch(() => undefined);
      throw err;
    }
    if (blocked.length > 0) obs.error = blocked.join('; ');
    const held = await writeStatus(obs, ctx);
    if (blocked.length > 0) return { requeueAfterMs: BLOCKED_RETRY_MS };
    return held !== undefined ? { requeueAfterMs: held } : undefined;
  };

  /**
   * While the caches still fill (this controller starts before they sync), an object missing from
   * one may only not have arrived yet: the Sandbox waits for the sync unless its Pod, Service and
   * PVCs are all cached already (then it is reconciled as after the sync).
   */
  function everythingCached(sandbox: SandboxObject, hash: string, hasPod: boolean): boolean {
    const namespace = sandbox.metadata.namespace!;
    if (!podInformer.hasSynced() && !hasPod) return false;
    if (!serviceInformer.hasSynced() && !services.get(`${namespace}/${sandbox.metadata.name}`)) return false;
    if (pvcInformer.hasSynced()) return true;
    return (sandbox.spec.volumeClaimTemplates ?? []).every((t) => pvcs.get(`${namespace}/${desiredPvc(sandbox, t, hash).metadata.name}`));
  }

  function ownedOrUndefined<T extends KubeObject>(obj: T | undefined, uid: string): T | undefined {
    return obj && controllerOf(obj)?.uid === uid ? obj : undefined;
  }

  /** Writes the status if it says something new; or, for news that can wait, says how long to wait (ms). */
  async function writeStatus(obs: Observation, ctx: ReconcileContext): Promise<number | undefined> {
    const at = now();
    const status = computeStatus(obs, at);
    const key = `${obs.sandbox.metadata.namespace}/${obs.sandbox.metadata.name}`;
    if (!statusChanged(obs.sandbox, status)) {
      heldSince.delete(key);
      return undefined;
    }
    if (onlyProgress(obs.sandbox, status)) {
      const since = heldSince.get(key) ?? at.getTime();
      heldSince.set(key, since);
      const left = since + PROGRESS_WRITE_DELAY_MS - at.getTime();
      if (left > 0) return left;
    }
    heldSince.delete(key);
    try {
      ownSandboxes.remember(await writer.patchStatus<SandboxObject>(SandboxKind, obs.sandbox, statusPatch(obs.sandbox, status), { signal: ctx.signal }));
    } catch (err) {
      // Someone wrote since (a claim, the ttl-reaper): look again once the cache has it.
      if (isConflict(err)) return CONFLICT_RETRY_MS;
      if (isNotFound(err)) return undefined;
      throw err;
    }
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    const before = obs.sandbox.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready && (ready.status !== before?.status || ready.reason !== before?.reason)) {
      ctx.log.info({ ready: ready.status, reason: ready.reason }, 'sandbox readiness changed');
      if (ready.status === 'True' && !quiet(obs.sandbox)) events.event(obs.sandbox, 'Normal', 'SandboxReady', ready.message);
      else if (ready.reason === 'ReconcilerError') events.event(obs.sandbox, 'Warning', 'ReconcilerError', ready.message);
    }
    if (firstReady(obs.sandbox, status)) options.metrics?.observeFirstReady(obs.sandbox, at);
    return undefined;
  }

  /** One PVC per volume claim template: created, adopted, or (foreign) reported. */
  async function ensurePvcs(sandbox: SandboxObject, hash: string, signal: AbortSignal): Promise<string[]> {
    const blocked: string[] = [];
    for (const template of sandbox.spec.volumeClaimTemplates ?? []) {
      const want = desiredPvc(sandbox, template, hash);
      const existing = pvcs.get(`${sandbox.metadata.namespace}/${want.metadata.name}`);
      if (!existing) {
        try {
          await writer.create(Kinds.PersistentVolumeClaim, want, { signal });
          events.event(sandbox, 'Normal', 'PersistentVolumeClaimCreated', `Created PersistentVolumeClaim ${want.metadata.name}`);
        } catch (err) {
          if (!isAlreadyExists(err)) throw err; // made already: the cache has not caught up
        }
        continue;
      }
      const standing = standingOf(existing, { uid: sandbox.metadata.uid!, nameHash: hash });
      if (standing === 'adoptable') await adopt(Kinds.PersistentVolumeClaim, existing, sandbox, hash, {}, signal);
      else if (standing === 'foreign') blocked.push(foreignReason('PersistentVolumeClaim', existing));
    }
    return blocked;
  }

  /** The headless Service: kept with `service: true`, deleted with `false`, observed when unset. */
  async function reconcileService(sandbox: SandboxObject, hash: string, blocked: string[], signal: AbortSignal): Promise<ServiceObject | undefined> {
    const existing = services.get(`${sandbox.metadata.namespace}/${sandbox.metadata.name}`);
    const standing = existing ? standingOf(existing, { uid: sandbox.metadata.uid!, nameHash: hash }) : undefined;
    const want = sandbox.spec.service;
    if (want === false) {
      if (existing && standing === 'owned') {
        await deleteOwned(Kinds.Service, existing, signal);
        events.event(sandbox, 'Normal', 'ServiceDeleted', `Deleted Service ${existing.metadata.name}`);
      }
      return undefined;
    }
    if (want !== true || isExpired(sandbox)) return standing === 'owned' ? existing : undefined;
    const desired = desiredService(sandbox, hash);
    if (!existing) {
      try {
        const created = await writer.create<ServiceObject>(Kinds.Service, desired, { signal });
        events.event(sandbox, 'Normal', 'ServiceCreated', `Created Service ${desired.metadata.name}`);
        return created;
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        return undefined;
      }
    }
    if (standing === 'foreign') {
      blocked.push(foreignReason('Service', existing));
      return undefined;
    }
    const spec = { selector: desired.spec!.selector, ports: desired.spec!.ports };
    if (standing === 'adoptable') return adopt(Kinds.Service, existing, sandbox, hash, { spec: { ...spec, ...singleStackIfSelectorless(existing) } }, signal);
    if (serviceUpToDate(existing, desired)) return existing;
    // Not locked: the selector, ports and these labels of an owned Service have no other writer.
    return writer.patch<ServiceObject>(Kinds.Service, existing, { metadata: { labels: desired.metadata.labels }, spec }, { signal, lock: false });
  }

  /**
   * The Pod: deleted when suspended, left alone when expired, otherwise created, adopted, or
   * given the template's current labels and annotations (its spec is never changed).
   */
  async function reconcilePod(
    sandbox: SandboxObject,
    hash: string,
    controlled: PodObject | undefined,
    blocked: string[],
    ctx: ReconcileContext,
  ): Promise<{ pod?: PodObject; foreign?: boolean } | 'wait'> {
    const { signal } = ctx;
    const podName = podNameOf(sandbox);
    const metadata = desiredPodMetadata(sandbox, hash);
    const suspended = isSuspended(sandbox);
    const expired = isExpired(sandbox);
    let pod = controlled;
    if (!pod) {
      const named = pods.get(`${sandbox.metadata.namespace}/${podName}`);
      if (named) {
        const standing = standingOf(named, { uid: sandbox.metadata.uid!, nameHash: hash });
        if (standing !== 'adoptable' || suspended || expired) {
          if (!suspended && !expired) blocked.push(foreignReason('Pod', named));
          return { foreign: true };
        }
        pod = await adopt(Kinds.Pod, named, sandbox, hash, { metadata }, signal);
      }
    }
    if (suspended) {
      if (pod && !pod.metadata.deletionTimestamp) {
        const gone = await deleteOwned(Kinds.Pod, pod, signal);
        events.event(sandbox, 'Normal', 'PodDeleted', `Suspended: deleted Pod ${pod.metadata.name}`);
        return gone ? {} : { pod: { ...pod, metadata: { ...pod.metadata, deletionTimestamp: now().toISOString() } } };
      }
      return { pod };
    }
    if (pod) {
      if (pod.metadata.deletionTimestamp || expired) return { pod };
      const patch = podMetadataPatch(pod, metadata);
      if (!patch) return { pod };
      // Not locked: the kubelet writes the Pod's status all the time, and the labels and
      // annotations patched here are this program's alone (see the propagated-metadata record).
      const patched = await writer.patch<PodObject>(Kinds.Pod, pod, { metadata: patch }, { signal, lock: false });
      return { pod: ownPods.remember(patched) };
    }
    if (expired || blocked.length > 0) return {};
    try {
      const created = await writer.create<PodObject>(Kinds.Pod, desiredPod(sandbox, metadata), { signal });
      if (!quiet(sandbox)) events.event(sandbox, 'Normal', 'PodCreated', `Created Pod ${podName}`);
      ctx.log.info({ pod: podName }, 'created pod');
      return { pod: created };
    } catch (err) {
      if (isAlreadyExists(err)) return 'wait'; // the cache has not seen it yet; its add event will come
      throw err;
    }
  }

  /**
   * Takes an unowned object over: the sandbox becomes its controller and it gets the name-hash
   * label, in one write locked on the resourceVersion read (whoever wrote in between wins).
   */
  async function adopt<T extends KubeObject>(
    kind: ResourceKind,
    obj: T,
    sandbox: SandboxObject,
    hash: string,
    extra: { metadata?: { labels: Record<string, string>; annotations: Record<string, string> }; spec?: unknown },
    signal: AbortSignal,
  ): Promise<T> {
    const labelPatch = extra.metadata ? podMetadataPatch(obj, extra.metadata) : undefined;
    const patch = {
      metadata: {
        ownerReferences: withController(obj, sandboxRef(sandbox)),
        labels: { ...labelPatch?.labels, [SANDBOX_NAME_HASH_LABEL]: hash },
        ...(labelPatch?.annotations ? { annotations: labelPatch.annotations } : {}),
      },
      ...(extra.spec ? { spec: extra.spec } : {}),
    };
    const adopted = await writer.patch<T>(kind, obj, patch, { signal });
    events.event(sandbox, 'Normal', `Adopted${kind.kind}`, `Adopted ${kind.kind} ${obj.metadata.name}`);
    return adopted;
  }

  /** Deletes an owned object if it is still the one read (uid precondition); true when already gone. */
  async function deleteOwned(kind: ResourceKind, obj: KubeObject, signal: AbortSignal): Promise<boolean> {
    try {
      await writer.delete(kind, obj, { signal });
      return false;
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
  }
}

/**
 * A headless Service without a selector is defaulted to RequireDualStack; given a selector it
 * would be refused on a single-stack cluster. Adoption gives it a selector, so it also asks
 * for one IP family (the first it has).
 */
function singleStackIfSelectorless(service: ServiceObject): Record<string, unknown> {
  const spec = service.spec ?? {};
  if (spec.selector && Object.keys(spec.selector).length > 0) return {};
  if (spec.ipFamilyPolicy !== 'RequireDualStack') return {};
  return { ipFamilyPolicy: 'SingleStack', ipFamilies: (spec.ipFamilies ?? []).slice(0, 1) };
}
