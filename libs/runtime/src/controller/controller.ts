import { randomUUID } from 'node:crypto';
import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { spanContextFromObject, type Logger } from '@agent-sandbox/telemetry';
import type { ResourceKind } from '../client/kinds.ts';
import { parseKey, type KubeObject } from '../client/objects.ts';
import type { RuntimeMetrics } from '../metrics/runtime-metrics.ts';
import type { RateLimiter } from '../queue/rate-limiter.ts';
import { WorkQueue } from '../queue/work-queue.ts';
import type { Clock } from '../time/clock.ts';
import { isTerminal, type Reconciler, type Request, type Result } from './reconcile.ts';

export interface ControllerOptions {
  name: string;
  /** The kind reconciled: names the span (`reconcile <Kind>`) and the log fields. */
  kind: ResourceKind;
  reconcile: Reconciler;
  log: Logger;
  tracer: Tracer;
  metrics?: RuntimeMetrics;
  /** Workers; one key is still never reconciled by two at once. Default 1. */
  concurrency?: number;
  /** The cached object for a key, to read its trace-context annotation. */
  lookup?: (key: string) => KubeObject | undefined;
  clock?: Clock;
  rateLimiter?: () => RateLimiter;
}

/**
 * Workers that take keys off a work queue and reconcile them: one span and one child logger
 * per pass, the result turned into a requeue, a backoff or a forget. Event sources only call
 * `enqueue`; keys arriving while the controller is stopped are dropped, since a start replays
 * the cache.
 */
export class Controller {
  readonly name: string;
  readonly kind: ResourceKind;
  readonly #options: ControllerOptions;
  #queue: WorkQueue | undefined;
  #workers: Promise<void>[] = [];
  #abort = new AbortController();
  /** Keys whose reconcile asked to look again once the caches have synced. */
  readonly #afterSync = new Set<string>();

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.kind = options.kind;
    this.#options = options;
  }

  get running(): boolean {
    return this.#queue !== undefined && !this.#queue.shuttingDown;
  }

  /** The current queue (for tests and diagnostics); undefined while stopped. */
  get queue(): WorkQueue | undefined {
    return this.#queue;
  }

  enqueue(key: string): void {
    this.#queue?.add(key);
  }

  /** The keys set aside until the caches sync go back to the queue. */
  cachesSynced(): void {
    for (const key of this.#afterSync) this.#queue?.add(key);
    this.#afterSync.clear();
  }

  /** Starts the workers with a fresh queue filled with `initialKeys`. */
  start(initialKeys: Iterable<string> = []): void {
    if (this.running) return;
    this.#afterSync.clear();
    const { metrics, clock } = this.#options;
    const concurrency = Math.max(1, this.#options.concurrency ?? 1);
    this.#abort = new AbortController();
    const queue: WorkQueue = new WorkQueue({
      clock,
      rateLimiter: this.#options.rateLimiter?.(),
      metrics: metrics?.queue(this.name, () => queue.longestRunningMs()),
    });
    this.#queue = queue;
    metrics?.maxConcurrent.set({ controller: this.name }, concurrency);
    metrics?.activeWorkers.set({ controller: this.name }, 0);
    for (const key of initialKeys) queue.add(key);
    // Workers of an earlier start (stopped without waiting, on lost leadership) finish first,
    // so a key is never reconciled twice at once across a leadership flap.
    const previous = Promise.all(this.#workers);
    this.#workers = Array.from({ length: concurrency }, async () => {
      await previous;
      await this.#work(queue);
    });
    this.#options.log.info({ controller: this.name, workers: concurrency }, 'controller started');
  }

  /**
   * Stops taking work. In-flight reconciles see their signal aborted and are awaited; with
   * `wait: false` (lost leadership) the call returns at once.
   */
  async stop(options: { wait?: boolean } = {}): Promise<void> {
    const queue = this.#queue;
    if (!queue) return;
    this.#abort.abort();
    const drained = queue.shutDown();
    if (options.wait === false) return;
    await drained;
    await Promise.all(this.#workers);
    if (this.#queue === queue) this.#queue = undefined;
    this.#options.log.info({ controller: this.name }, 'controller stopped');
  }

  async #work(queue: WorkQueue): Promise<void> {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await this.#reconcileOne(queue, key);
      } finally {
        queue.done(key);
      }
    }
  }

  async #reconcileOne(queue: WorkQueue, key: string): Promise<void> {
    const { log: baseLog, tracer, metrics, kind, lookup } = this.#options;
    this.#afterSync.delete(key); // set aside again below if it still cannot be done
    const ref = parseKey(key);
    const req: Request = { key, name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) };
    const reconcileID = randomUUID();
    const remote = spanContextFromObject(lookup?.(key));
    const parent = remote ? trace.setSpanContext(context.active(), remote) : context.active();
    const waitedMs = queue.waitedMs(key);
    const span = tracer.startSpan(
      `reconcile ${kind.kind}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          'k8s.controller': this.name,
          'k8s.kind': kind.kind,
          'k8s.namespace.name': ref.namespace ?? '',
          'k8s.object.name': ref.name,
          'reconcile.id': reconcileID,
          // Time from the event (or requeue) to a worker taking the key: the queue's share of latency.
          ...(waitedMs !== undefined ? { 'workqueue.wait_ms': Math.round(waitedMs * 1000) / 1000 } : {}),
          'workqueue.requeues': queue.numRequeues(key),
        },
      },
      parent,
    );
    const traceId = span.spanContext().traceId;
    // Every line of this reconcile names its trace and span (trace_id, span_id): the logger adds
    // them from the active context, which is the reconcile's span from here to its end.
    const log = baseLog.child({ controller: this.name, namespace: ref.namespace, name: ref.name, reconcileID });
    const labels = { controller: this.name };
    metrics?.activeWorkers.inc(labels);
    const started = performance.now();
    let outcome: 'success' | 'error' | 'requeue' | 'requeue_after' = 'success';
    await context.with(trace.setSpan(parent, span), async () => {
      try {
        const result: Result | void = await this.#options.reconcile(req, { log, span, reconcileID, traceId, signal: this.#abort.signal });
        queue.forget(key);
        const after = result?.requeueAfterMs;
        if (result?.afterSync) {
          outcome = 'requeue';
          this.#afterSync.add(key);
        } else if (after !== undefined && after > 0) {
          outcome = 'requeue_after';
          queue.addAfter(key, after);
        }
        span.setStatus({ code: SpanStatusCode.OK });
        log.debug({ requeueAfterMs: after }, 'reconciled');
      } catch (err) {
        outcome = 'error';
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
        metrics?.reconcileErrors.inc(labels);
        if (isTerminal(err)) {
          metrics?.terminalErrors.inc(labels);
          queue.forget(key);
          log.error({ err }, 'reconcile failed with a terminal error: not retrying');
        } else {
          queue.addRateLimited(key);
          log.warn({ err, retries: queue.numRequeues(key) }, 'reconcile failed: retrying with backoff');
        }
      } finally {
        const seconds = (performance.now() - started) / 1000;
        metrics?.reconcileTime.observe(labels, seconds);
        metrics?.reconcileTotal.inc({ ...labels, result: outcome });
        metrics?.activeWorkers.dec(labels);
        span.end();
      }
    });
  }
}
