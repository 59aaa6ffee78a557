import { trace, type Tracer } from '@opentelemetry/api';
import { createMetricsRegistry, metricsHandler, type Logger, type Registry } from '@agent-sandbox/telemetry';
import { kindId, type ResourceKind } from '../client/kinds.ts';
import type { KubeClient } from '../client/kube-client.ts';
import type { KubeObject } from '../client/objects.ts';
import { Informer, type InformerOptions } from '../cache/informer.ts';
import { CONTROLLER_UID_INDEX, byControllerUID } from '../cache/indexers.ts';
import type { Transform } from '../cache/trim.ts';
import { ControllerBuilder, type ControllerHost } from '../controller/builder.ts';
import { Controller } from '../controller/controller.ts';
import type { Reconciler } from '../controller/reconcile.ts';
import { LeaderElector, type LeaderElectionOptions } from '../leader/leader-elector.ts';
import { RuntimeMetrics } from '../metrics/runtime-metrics.ts';
import type { HealthServer } from '../program/health-server.ts';
import { EventRecorder } from '../write/event-recorder.ts';
import { Writer } from '../write/writer.ts';

export type InformerTuning = Pick<InformerOptions, 'pageSize' | 'minWatchTimeoutMs' | 'watchdogMs' | 'initialBackoffMs' | 'maxBackoffMs' | 'trim'>;

export interface ManagerOptions {
  /** The program name: field manager of every write and component of every Event. */
  name: string;
  client: KubeClient;
  log: Logger;
  /** Watch one namespace only (default: all). */
  namespace?: string;
  registry?: Registry;
  tracer?: Tracer;
  /** With it, controllers run only while this replica holds the Lease. */
  leaderElection?: LeaderElectionOptions;
  /**
   * Called once leadership has been lost and every write fenced (the controllers are stopping):
   * a program exits here, as controller-runtime's do, and comes back as a fresh candidate.
   * Without it the replica stays up and campaigns again.
   */
  onLeadershipLost?: () => void;
  informers?: InformerTuning;
  /** How long `stop` waits for in-flight reconciles before releasing the lease anyway. */
  drainTimeoutMs?: number;
  /** Called after `stop` has drained everything: flush traces here. */
  onStopped?: () => Promise<void>;
}

/**
 * Owns what the controllers of one program share: the API client, one informer per kind,
 * the writer and event recorder, metrics, leader election and the order of start and stop.
 *
 * Start: informers → caches synced (readiness) → leadership, if elected → controllers. A
 * controller registered with `startBeforeSync` starts as soon as leadership allows (the campaign
 * then runs while the caches fill): it reconciles objects as the first lists bring them in, and
 * its reconciles that need what is not cached yet answer `afterSync` and run again at the sync.
 * Stop: controllers stop taking work and drain → lease released → informers → events → traces.
 */
export class Manager implements ControllerHost {
  readonly name: string;
  readonly client: KubeClient;
  readonly log: Logger;
  readonly writer: Writer;
  readonly events: EventRecorder;
  readonly registry: Registry;
  readonly metrics: RuntimeMetrics;
  readonly #options: ManagerOptions;
  readonly #informers = new Map<string, Informer>();
  readonly #transforms = new Map<string, Transform>();
  readonly #selections = new Map<string, { labelSelector?: string; fieldSelector?: string }>();
  readonly #controllers: Array<{ controller: Controller; kind: ResourceKind; initialKeys?: () => Iterable<string>; startBeforeSync?: boolean }> = [];
  readonly #tracer: Tracer;
  #elector: LeaderElector | undefined;
  #informersStarted = false;
  /** Every informer has synced once. */
  #started = false;
  /** The controllers may run: no election, or this replica leads. */
  #leading = false;
  #stopping = false;

  constructor(options: ManagerOptions) {
    this.#options = options;
    this.name = options.name;
    this.client = options.client;
    this.log = options.log;
    this.registry = options.registry ?? createMetricsRegistry();
    this.metrics = new RuntimeMetrics(this.registry);
    this.writer = new Writer(options.client, options.name);
    // Under leader election nothing is written until this replica leads.
    if (options.leaderElection) this.writer.fence('not the leader');
    this.events = new EventRecorder({ client: options.client, log: options.log, component: options.name, onDrop: () => this.metrics.eventsDropped.inc() });
    this.#tracer = options.tracer ?? trace.getTracer(options.name);
  }

  /** Sets the per-kind transform applied to objects on their way into the cache (before `informer`). */
  transform<T extends KubeObject>(kind: ResourceKind, fn: Transform<T>): this {
    if (this.#informers.has(kindId(kind))) throw new Error(`transform for ${kind.kind}: its informer exists already`);
    this.#transforms.set(kindId(kind), fn as unknown as Transform);
    return this;
  }

  /**
   * Caches only the objects of `kind` that match the selectors (before `informer`): the list and
   * watch ask the API server for them alone. An object that stops matching leaves the cache as a
   * delete (the API server sends its last matching state), one that starts matching comes as an add.
   */
  select(kind: ResourceKind, selection: { labelSelector?: string; fieldSelector?: string }): this {
    if (this.#informers.has(kindId(kind))) throw new Error(`selection for ${kind.kind}: its informer exists already`);
    this.#selections.set(kindId(kind), selection);
    return this;
  }

  /** The shared informer of a kind (created on first use, indexed by controller UID). */
  informer<T extends KubeObject = KubeObject>(kind: ResourceKind): Informer<T> {
    const id = kindId(kind);
    let informer = this.#informers.get(id);
    if (!informer) {
      informer = new Informer({
        ...this.#options.informers,
        kind,
        client: this.client,
        log: this.log,
        ...(kind.namespaced && this.#options.namespace ? { namespace: this.#options.namespace } : {}),
        transform: this.#transforms.get(id),
        ...this.#selections.get(id),
      });
      informer.store.addIndexer(CONTROLLER_UID_INDEX, byControllerUID);
      this.#informers.set(id, informer);
      if (this.#informersStarted) informer.start();
    }
    return informer as unknown as Informer<T>;
  }

  /** Whether `obj` is exactly what this process's own last write of it produced. */
  wrote(kind: ResourceKind, obj: KubeObject): boolean {
    return this.writer.wrote(kind, obj);
  }

  /** While a write of `obj` is in flight, when it has been answered. */
  settling(kind: ResourceKind, obj: KubeObject): Promise<void> | undefined {
    return this.writer.settling(kind, obj);
  }

  controller(name: string): ControllerBuilder {
    return new ControllerBuilder(this, name);
  }

  /**
   * Registers a controller for `kind`. On every start (and leadership gained) its queue is filled
   * with the cache's keys, or with `initialKeys()` when given (a program that must replay in a
   * particular order, such as deadlines earliest first).
   */
  register(spec: { name: string; kind: ResourceKind; reconcile: Reconciler; concurrency?: number; initialKeys?: () => Iterable<string>; startBeforeSync?: boolean }): Controller {
    if (this.#controllers.some((c) => c.controller.name === spec.name)) throw new Error(`controller ${spec.name} is registered twice`);
    const store = this.informer(spec.kind).store;
    const { initialKeys, startBeforeSync, ...options } = spec;
    const controller = new Controller({
      ...options,
      log: this.log,
      tracer: this.#tracer,
      metrics: this.metrics,
      lookup: (key) => store.get(key),
    });
    this.#controllers.push({ controller, kind: spec.kind, initialKeys, startBeforeSync });
    return controller;
  }

  /** True once every informer has its initial list (leadership does not matter). */
  ready(): boolean {
    for (const informer of this.#informers.values()) if (!informer.hasSynced()) return false;
    return this.#started;
  }

  get isLeader(): boolean {
    return this.#elector ? this.#elector.isLeader : this.#leading && !this.#stopping;
  }

  get identity(): string | undefined {
    return this.#elector?.identity;
  }

  /** `/readyz` follows the caches; `/metrics` serves the registry. */
  attach(health: HealthServer): this {
    health.addReadinessCheck('informers-synced', () => this.ready());
    health.route('/metrics', metricsHandler(this.registry));
    return this;
  }

  /**
   * Starts informers, waits for their initial lists, then (once leader, if elected) the
   * controllers; those registered with `startBeforeSync` (and the campaign) do not wait for the lists.
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (this.#informersStarted) return;
    this.#informersStarted = true;
    for (const informer of this.#informers.values()) informer.start();
    const early = this.#controllers.some((c) => c.startBeforeSync);
    if (early) this.#lead();
    for (const informer of this.#informers.values()) if (!(await informer.waitForSync(signal))) return;
    this.#started = true;
    this.log.info({ informers: [...this.#informers.keys()] }, 'caches synced');
    if (!early) this.#lead();
    else if (this.#leading && !this.#stopping) this.#startControllers();
  }

  /** Without election the controllers may run now; with it, once this replica holds the Lease. */
  #lead(): void {
    const election = this.#options.leaderElection;
    if (!election) {
      this.#leading = true;
      return this.#startControllers();
    }
    this.metrics.leader.set({ name: election.name }, 0);
    this.#elector = new LeaderElector(this.client, this.log, election, {
      onStartedLeading: () => {
        this.metrics.leader.set({ name: election.name }, 1);
        if (this.#stopping) return;
        this.#leading = true;
        this.writer.unfence();
        this.#startControllers();
      },
      onStoppedLeading: () => {
        this.#leading = false;
        this.metrics.leader.set({ name: election.name }, 0);
        // Before returning: no write may leave this process from now on, and none in flight
        // may land (the renew deadline is up; a standby may acquire the lease soon).
        this.writer.fence('leadership lost');
        for (const { controller } of this.#controllers) void controller.stop({ wait: false });
        this.#options.onLeadershipLost?.();
      },
    });
    this.#elector.start();
  }

  /**
   * Starts what may run now: before the sync only the `startBeforeSync` controllers (with what
   * is cached so far; the rest arrives as adds); at the sync the others, and those that set keys
   * aside until then get them back.
   */
  #startControllers(): void {
    for (const { controller, kind, initialKeys, startBeforeSync } of this.#controllers) {
      if (!this.#started && !startBeforeSync) continue;
      if (controller.running) {
        if (this.#started) controller.cachesSynced();
        continue;
      }
      controller.start(initialKeys ? initialKeys() : this.informer(kind).store.keys());
    }
  }

  /**
   * Stops taking work, waits up to the drain timeout for in-flight reconciles, releases the
   * lease (a standby takes over at once), stops the informers and flushes Events and traces.
   */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    const drain = Promise.all(this.#controllers.map(({ controller }) => controller.stop()));
    const timeoutMs = this.#options.drainTimeoutMs ?? 20_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([drain.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs)))]);
    clearTimeout(timer);
    if (timedOut) this.log.warn({ timeoutMs }, 'in-flight reconciles did not finish in time; releasing anyway');
    await this.#elector?.stop({ release: true });
    await Promise.all([...this.#informers.values()].map((i) => i.stop()));
    await Promise.race([this.events.close(), new Promise((r) => setTimeout(r, 2_000).unref())]);
    await this.#options.onStopped?.();
    this.client.close();
  }
}
