import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from '@agent-sandbox/telemetry';
import { isConflict, isNotFound, isAlreadyExists } from '../client/api-error.ts';
import { Kinds } from '../client/kinds.ts';
import type { KubeClient } from '../client/kube-client.ts';
import type { KubeObject } from '../client/objects.ts';
import { Informer } from '../cache/informer.ts';
import { sleep } from '../time/clock.ts';
import { decide, nextSpec, observe, releasedSpec, untilExpiry, type LeaseSpec, type Observation } from './lease-logic.ts';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  /** Unique per replica; defaults to `<hostname>_<random>`. */
  identity?: string;
  /** How long a lease is good for after its last renewal (client-go default 15 s). */
  leaseDurationMs?: number;
  /** The leader gives up if it cannot renew for this long (default 10 s; < leaseDuration). */
  renewDeadlineMs?: number;
  /** Time between renewals and between acquisition attempts (default 2 s). */
  retryPeriodMs?: number;
}

export interface LeaderCallbacks {
  onStartedLeading(): void;
  /** Called at once when leadership is lost (not on a release at shutdown). */
  onStoppedLeading(): void;
}

type Lease = KubeObject & { spec?: LeaseSpec };

/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's timing rules. Writes are
 * optimistic (PUT with the resourceVersion read), so two candidates cannot both win. A standby
 * watches the Lease and retries on every change, so a release at shutdown hands over at once.
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
  readonly #callbacks: LeaderCallbacks;
  readonly #watch: Informer<Lease>;
  #observed: Observation | undefined;
  #leading = false;
  #lastRenew = 0;
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
    if (this.#renewDeadlineMs >= this.#leaseDurationMs) throw new Error('leader election: renew deadline must be shorter than the lease duration');
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
    });
    const poke = () => this.#wake?.();
    this.#watch.addHandlers({ add: poke, update: poke, delete: poke });
  }

  /** A hung request must not outlast the renew deadline. */
  get #requestTimeoutMs(): number {
    return Math.max(1_000, Math.min(5_000, this.#renewDeadlineMs / 2));
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
    this.#wake?.();
    await this.#running;
    await this.#watch.stop();
    if (this.#leading && (options.release ?? true)) await this.#release();
    this.#leading = false;
  }

  async #run(): Promise<void> {
    const stop = this.#stop.signal;
    while (!stop.aborted) {
      let wait = this.#retryPeriodMs;
      try {
        const won = await this.#tryAcquireOrRenew();
        if (won) {
          this.#lastRenew = Date.now();
          if (!this.#leading) {
            this.#leading = true;
            this.#log.info('became leader');
            this.#callbacks.onStartedLeading();
          }
        } else if (this.#leading) {
          this.#lose('another holder took the lease');
        } else {
          // Try again as soon as the holder's lease runs out, or when it changes (watch).
          wait = Math.min(wait, untilExpiry(this.#observed, Date.now()) + 1);
        }
      } catch (err) {
        this.#log.warn({ err }, 'lease update failed');
        if (this.#leading && Date.now() - this.#lastRenew > this.#renewDeadlineMs) this.#lose('could not renew within the deadline');
        else if (this.#leading) wait = Math.min(wait, 500);
      }
      if (stop.aborted) break;
      await this.#sleep(wait);
    }
  }

  #lose(why: string): void {
    this.#leading = false;
    this.#log.warn({ why }, 'lost leadership');
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
    await sleep(ms, wake.signal);
    this.#stop.signal.removeEventListener('abort', onStop);
    this.#wake = undefined;
  }

  async #get(): Promise<Lease | undefined> {
    try {
      return await this.#client.get<Lease>(Kinds.Lease, { namespace: this.#namespace, name: this.#name }, { signal: this.#stop.signal, timeoutMs: this.#requestTimeoutMs });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const lease = await this.#get();
    const now = Date.now();
    this.#observed = observe(this.#observed, lease?.spec, now);
    const action = decide(this.#observed, lease !== undefined, this.identity, now);
    if (action === 'wait') return false;
    const spec = nextSpec(action, lease?.spec, this.identity, this.#leaseDurationMs, new Date(now));
    try {
      const written =
        action === 'create'
          ? await this.#client.create<Lease>(
              Kinds.Lease,
              { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { namespace: this.#namespace, name: this.#name }, spec },
              { timeoutMs: this.#requestTimeoutMs },
            )
          : await this.#client.replace<Lease>(Kinds.Lease, { ...lease!, spec }, { timeoutMs: this.#requestTimeoutMs });
      this.#observed = observe(this.#observed, written.spec, Date.now());
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
      const lease = await this.#client.get<Lease>(Kinds.Lease, ref, { timeoutMs: this.#requestTimeoutMs });
      if ((lease.spec?.holderIdentity ?? '') !== this.identity) return;
      await this.#client.replace(Kinds.Lease, { ...lease, spec: releasedSpec(lease.spec, new Date()) }, { timeoutMs: this.#requestTimeoutMs });
      this.#log.info('released the lease');
    } catch (err) {
      this.#log.warn({ err }, 'could not release the lease; a standby takes over when it expires');
    }
  }
}
