import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from '@agent-sandbox/telemetry';
import { isConflict, isNotFound, isAlreadyExists } from '../client/api-error.ts';
import { Kinds } from '../client/kinds.ts';
import type { KubeClient } from '../client/kube-client.ts';
import type { KubeObject } from '../client/objects.ts';
import { Informer } from '../cache/informer.ts';
import { realClock, sleep, type Clock, type TimerHandle } from '../time/clock.ts';
import { decide, nextSpec, observe, releasedSpec, untilExpiry, type LeaseSpec, type Observation } from './lease-logic.ts';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  /** Unique per replica; defaults to `<hostname>_<random>`. */
  identity?: string;
  /** How long a lease is good for after its last renewal (client-go default 15 s). */
  leaseDurationMs?: number;
  /** The leader stops acting if it has not renewed for this long (default 10 s; < leaseDuration). */
  renewDeadlineMs?: number;
  /** Time between renewals and between acquisition attempts (default 2 s). */
  retryPeriodMs?: number;
  clock?: Clock;
}

export interface LeaderCallbacks {
  onStartedLeading(): void;
  /**
   * Called the moment leadership is lost (not on a release at shutdown), at the latest at the
   * renew deadline: the caller must stop acting before returning.
   */
  onStoppedLeading(): void;
}

type Lease = KubeObject & { spec?: LeaseSpec };

/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's timing rules, that fences.
 *
 * Writes are optimistic (PUT with the resourceVersion read), so two candidates cannot both win.
 * A standby watches the Lease and retries on every change, so a release at shutdown hands over
 * at once; it takes a silent leader's lease only after it has seen it unchanged for the lease
 * duration, by its own monotonic clock.
 *
 * The leader's side of that bargain: every successful renewal, timed from the moment its
 * request was sent, buys it `renewDeadline` of leadership on the monotonic clock, and no more.
 * A timer fires at that deadline whatever the requests are doing (a stalled connection cannot
 * hold it), every lease request is bounded by it, and at the deadline the leader stops at once.
 * Since a renewal is seen by a standby no earlier than it was sent, and renewDeadline is shorter
 * than the lease duration, the leader has stopped before any standby can acquire.
 */
export class LeaderElector {
  readonly identity: string;
  readonly #client: KubeClient;
  readonly #log: Logger;
  readonly #namespace: string;
  readonly #name: string;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #clock: Clock;
  readonly #callbacks: LeaderCallbacks;
  readonly #watch: Informer<Lease>;
  #observed: Observation | undefined;
  #leading = false;
  /** Monotonic time by which the leader must have renewed again, or stop. */
  #deadline = 0;
  #fence: TimerHandle | undefined;
  /** Counts losses, so an attempt that started before one does not count as a win after it. */
  #term = 0;
  /** The lease request in flight; aborted on loss and on stop. */
  #attempt: AbortController | undefined;
  #stop = new AbortController();
  #wake: (() => void) | undefined;
  #running: Promise<void> | undefined;

  constructor(client: KubeClient, log: Logger, options: LeaderElectionOptions, callbacks: LeaderCallbacks) {
    this.#client = client;
    this.identity = options.identity ?? `${hostname()}_${randomBytes(4).toString('hex')}`;
    this.#namespace = options.namespace;
    this.#name = options.name;
    this.#leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.#retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.#clock = options.clock ?? realClock;
    if (this.#renewDeadlineMs >= this.#leaseDurationMs) throw new Error('leader election: renew deadline must be shorter than the lease duration');
    if (this.#retryPeriodMs >= this.#renewDeadlineMs) throw new Error('leader election: retry period must be shorter than the renew deadline');
    this.#callbacks = callbacks;
    this.#log = log.child({ lease: `${options.namespace}/${options.name}`, identity: this.identity });
    this.#watch = new Informer<Lease>({
      kind: Kinds.Lease,
      client,
      log: this.#log,
      namespace: options.namespace,
      fieldSelector: `metadata.name=${options.name}`,
      initialBackoffMs: 200,
      maxBackoffMs: 2_000,
      clock: this.#clock,
    });
    const poke = () => this.#wake?.();
    this.#watch.addHandlers({ add: poke, update: poke, delete: poke });
  }

  /** A hung request must not outlast half the renew deadline; while leading, not the deadline either. */
  #requestTimeoutMs(boundByDeadline = true): number {
    const cap = Math.max(1_000, Math.min(5_000, this.#renewDeadlineMs / 2));
    if (!this.#leading || !boundByDeadline) return cap;
    return Math.max(1, Math.min(cap, Math.floor(this.#deadline - this.#clock.monotonic())));
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  start(): void {
    this.#watch.start();
    this.#running ??= this.#run();
  }

  /** Stops campaigning; a leader releases the lease so a standby takes over at once. */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.#stop.abort();
    this.#attempt?.abort();
    this.#wake?.();
    await this.#running;
    await this.#watch.stop();
    this.#disarmFence();
    if (this.#leading && (options.release ?? true)) await this.#release();
    this.#leading = false;
  }

  async #run(): Promise<void> {
    const stop = this.#stop.signal;
    while (!stop.aborted) {
      let wait = this.#retryPeriodMs;
      const sentAt = this.#clock.monotonic();
      const term = this.#term;
      try {
        const won = await this.#tryAcquireOrRenew();
        if (stop.aborted) break;
        if (term !== this.#term) {
          // Leadership was lost while this attempt was out: whatever it returned is too late.
        } else if (won) {
          // Counted from when the request went out: a standby saw the renewal no earlier.
          this.#deadline = sentAt + this.#renewDeadlineMs;
          this.#armFence();
          if (!this.#leading) {
            this.#leading = true;
            this.#log.info('became leader');
            this.#callbacks.onStartedLeading();
          }
        } else if (this.#leading) {
          this.#lose('another holder took the lease');
        } else {
          // Try again as soon as the holder's lease runs out, or when it changes (watch).
          wait = Math.min(wait, untilExpiry(this.#observed, this.#clock.monotonic()) + 1);
        }
      } catch (err) {
        if (stop.aborted) break;
        this.#log.warn({ err: describe(err) }, 'lease update failed');
        // The fence timer ends leadership at the deadline; until then, try again soon.
        if (this.#leading) wait = Math.min(wait, 500);
      }
      if (stop.aborted) break;
      await this.#sleep(wait);
    }
  }

  #armFence(): void {
    this.#disarmFence();
    this.#fence = this.#clock.setTimer(() => {
      this.#fence = undefined;
      if (this.#leading) this.#lose(`not renewed within the renew deadline (${this.#renewDeadlineMs} ms)`);
    }, this.#deadline - this.#clock.monotonic());
  }

  #disarmFence(): void {
    if (this.#fence !== undefined) this.#clock.clearTimer(this.#fence);
    this.#fence = undefined;
  }

  #lose(why: string): void {
    this.#leading = false;
    this.#term++;
    this.#disarmFence();
    this.#attempt?.abort();
    this.#log.error({ why }, 'lost leadership');
    this.#callbacks.onStoppedLeading();
  }

  /** Sleeps `ms`, or less when the lease changes and we are not the leader. */
  async #sleep(ms: number): Promise<void> {
    const wake = new AbortController();
    this.#wake = () => {
      if (!this.#leading || this.#stop.signal.aborted) wake.abort();
    };
    const onStop = () => wake.abort();
    this.#stop.signal.addEventListener('abort', onStop, { once: true });
    await sleep(ms, wake.signal, this.#clock);
    this.#stop.signal.removeEventListener('abort', onStop);
    this.#wake = undefined;
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const attempt = new AbortController();
    this.#attempt = attempt;
    const signal = AbortSignal.any([attempt.signal, this.#stop.signal]);
    try {
      return await this.#acquireOrRenew(signal);
    } finally {
      if (this.#attempt === attempt) this.#attempt = undefined;
    }
  }

  async #acquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const ref = { namespace: this.#namespace, name: this.#name };
    let lease: Lease | undefined;
    try {
      lease = await this.#client.get<Lease>(Kinds.Lease, ref, { signal, timeoutMs: this.#requestTimeoutMs() });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const now = this.#clock.monotonic();
    this.#observed = observe(this.#observed, lease?.spec, now);
    const action = decide(this.#observed, lease !== undefined, this.identity, now);
    if (action === 'wait') return false;
    const spec = nextSpec(action, lease?.spec, this.identity, this.#leaseDurationMs, new Date(this.#clock.now()));
    try {
      const written =
        action === 'create'
          ? await this.#client.create<Lease>(
              Kinds.Lease,
              { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { namespace: this.#namespace, name: this.#name }, spec },
              { signal, timeoutMs: this.#requestTimeoutMs() },
            )
          : await this.#client.replace<Lease>(Kinds.Lease, { ...lease!, spec }, { signal, timeoutMs: this.#requestTimeoutMs() });
      this.#observed = observe(this.#observed, written.spec, this.#clock.monotonic());
      return true;
    } catch (err) {
      // Someone else wrote first: they hold it (or it changed under us); look again later.
      if (isConflict(err) || isAlreadyExists(err)) return false;
      throw err;
    }
  }

  async #release(): Promise<void> {
    try {
      const ref = { namespace: this.#namespace, name: this.#name };
      const timeoutMs = this.#requestTimeoutMs(false);
      const lease = await this.#client.get<Lease>(Kinds.Lease, ref, { timeoutMs });
      if ((lease.spec?.holderIdentity ?? '') !== this.identity) return;
      await this.#client.replace(Kinds.Lease, { ...lease, spec: releasedSpec(lease.spec, new Date(this.#clock.now())) }, { timeoutMs });
      this.#log.info('released the lease');
    } catch (err) {
      this.#log.warn({ err: describe(err) }, 'could not release the lease; a standby takes over when it expires');
    }
  }
}

function describe(err: unknown): { message: string; code?: number; reason?: string } {
  const e = err as { message?: string; code?: unknown; reason?: unknown };
  return { message: e?.message ?? String(err), ...(typeof e?.code === 'number' ? { code: e.code } : {}), ...(typeof e?.reason === 'string' ? { reason: e.reason } : {}) };
}
