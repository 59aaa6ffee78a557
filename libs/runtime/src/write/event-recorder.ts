import { randomBytes } from 'node:crypto';
import type { Logger } from '@agent-sandbox/telemetry';
import { isNotFound } from '../client/api-error.ts';
import { Kinds } from '../client/kinds.ts';
import type { KubeClient } from '../client/kube-client.ts';
import type { KubeObject } from '../client/objects.ts';
import { toTime } from './conditions.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  client: KubeClient;
  log: Logger;
  /** The program name (`source.component`, `reportingComponent`). */
  component: string;
  /** This replica (`reportingInstance`), e.g. the pod name. */
  instance?: string;
  /** Distinct (object, reason, message) entries waiting to be sent before new ones are dropped. */
  maxPending?: number;
  /** An aggregated Event is reused for this long after its last occurrence. */
  aggregateWindowMs?: number;
  onDrop?: () => void;
}

interface Pending {
  target: { apiVersion?: string; kind?: string; name?: string; namespace?: string; uid?: string; resourceVersion?: string };
  type: EventType;
  reason: string;
  message: string;
  action: string;
  count: number;
  first: Date;
  last: Date;
}

interface Sent {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
  lastSeen: number;
}

const MAX_MESSAGE = 1024;

/**
 * core/v1 Events, aggregated by (object, type, reason, message): a repeat bumps `count` on the
 * Event already written rather than writing another. Recording never blocks or fails a
 * reconcile: entries go into a bounded map drained by one background sender, and when the map
 * is full new entries are dropped (counted) rather than queued without limit.
 */
export class EventRecorder {
  readonly #options: EventRecorderOptions;
  readonly #pending = new Map<string, Pending>();
  readonly #sent = new Map<string, Sent>();
  #sending: Promise<void> | undefined;
  #closed = false;
  dropped = 0;

  constructor(options: EventRecorderOptions) {
    this.#options = options;
  }

  event(obj: KubeObject, type: EventType, reason: string, message: string, action = reason): void {
    if (this.#closed) return;
    const meta = obj.metadata;
    const text = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 3)}...` : message;
    const key = `${meta.uid ?? `${meta.namespace}/${meta.name}`}\u0000${type}\u0000${reason}\u0000${text}`;
    const now = new Date();
    const pending = this.#pending.get(key);
    if (pending) {
      pending.count++;
      pending.last = now;
    } else {
      if (this.#pending.size >= (this.#options.maxPending ?? 1000)) {
        this.dropped++;
        this.#options.onDrop?.();
        return;
      }
      this.#pending.set(key, {
        target: { apiVersion: obj.apiVersion, kind: obj.kind, name: meta.name, namespace: meta.namespace, uid: meta.uid, resourceVersion: meta.resourceVersion },
        type,
        reason,
        message: text,
        action,
        count: 1,
        first: now,
        last: now,
      });
    }
    this.#sending ??= this.#drain().finally(() => (this.#sending = undefined));
  }

  /** Resolves when everything recorded so far has been sent (or failed). */
  async flush(): Promise<void> {
    while (this.#sending) await this.#sending;
  }

  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
  }

  async #drain(): Promise<void> {
    // Yield first so the reconcile that recorded keeps running; repeats made meanwhile merge.
    await new Promise((r) => setImmediate(r));
    while (this.#pending.size > 0) {
      const [key, entry] = this.#pending.entries().next().value as [string, Pending];
      this.#pending.delete(key);
      try {
        await this.#send(key, entry);
      } catch (err) {
        // A refusal by RBAC is a missing rule, worth seeing; anything else passes with the API server.
        const refused = (err as { code?: number }).code === 403;
        this.#options.log[refused ? 'warn' : 'debug']({ err, reason: entry.reason }, 'could not record event');
      }
    }
    this.#forgetOld();
  }

  /** Events past the aggregation window are never patched again: forget them (bounded memory). */
  #forgetOld(): void {
    const window = this.#options.aggregateWindowMs ?? 600_000;
    const now = Date.now();
    for (const [key, sent] of this.#sent) if (now - sent.lastSeen >= window) this.#sent.delete(key);
  }

  /** Events this recorder may still aggregate into (for tests and diagnostics). */
  get remembered(): number {
    return this.#sent.size;
  }

  async #send(key: string, entry: Pending): Promise<void> {
    const { client, component, instance } = this.#options;
    const namespace = entry.target.namespace || 'default';
    const window = this.#options.aggregateWindowMs ?? 600_000;
    const sent = this.#sent.get(key);
    if (sent && Date.now() - sent.lastSeen < window) {
      const count = sent.count + entry.count;
      try {
        await client.patch(Kinds.Event, { namespace: sent.namespace, name: sent.name }, { count, lastTimestamp: toTime(entry.last) }, { type: 'merge', timeoutMs: 10_000 });
        sent.count = count;
        sent.lastSeen = Date.now();
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.#sent.delete(key);
      }
    }
    const name = `${entry.target.name ?? 'object'}.${randomBytes(8).toString('hex')}`;
    await client.create(Kinds.Event, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: entry.target,
      type: entry.type,
      reason: entry.reason,
      message: entry.message,
      action: entry.action,
      count: entry.count,
      firstTimestamp: toTime(entry.first),
      lastTimestamp: toTime(entry.last),
      source: { component },
      reportingComponent: component,
      reportingInstance: instance ?? component,
    }, { timeoutMs: 10_000 });
    this.#sent.set(key, { name, namespace, count: entry.count, firstTimestamp: toTime(entry.first), lastSeen: Date.now() });
    if (this.#sent.size > 4096) {
      // Forget the oldest aggregation entries; a later repeat simply writes a new Event.
      for (const k of [...this.#sent.keys()].slice(0, 1024)) this.#sent.delete(k);
    }
  }
}
