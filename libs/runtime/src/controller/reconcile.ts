import type { Span } from '@opentelemetry/api';
import type { Logger } from '@agent-sandbox/telemetry';

/** What a reconcile is asked to look at: one object by key. */
export interface Request {
  /** `namespace/name` (or `name` for cluster-scoped kinds). */
  key: string;
  namespace?: string;
  name: string;
}

/**
 * A reconcile's answer: nothing (done until something changes), or a delay after which to
 * look again. Throwing means "retry with backoff"; throwing a TerminalError means "retrying
 * cannot fix this".
 */
export interface Result {
  requeueAfterMs?: number;
  /**
   * Look again once every cache has synced: what the reconcile needs is not cached yet (only a
   * controller started before the caches synced sees this; see the manager's `startBeforeSync`).
   */
  afterSync?: boolean;
}

export interface ReconcileContext {
  /** Child logger with controller, namespace, name, reconcileID, trace_id and span_id. */
  log: Logger;
  /** The `reconcile <Kind>` span; the active span while the reconcile runs. */
  span: Span;
  reconcileID: string;
  traceId: string;
  /** Aborted when the controller stops (shutdown or lost leadership): stop soon, write nothing more. */
  signal: AbortSignal;
}

export type Reconciler = (req: Request, ctx: ReconcileContext) => Promise<Result | void>;

/**
 * An error that retrying cannot fix (bad user input, an impossible spec). It is logged and
 * counted, the key is forgotten, and the object waits for its next change.
 */
export class TerminalError extends Error {
  override name = 'TerminalError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

export function isTerminal(err: unknown): boolean {
  for (let e = err; e instanceof Error; e = e.cause) if (e instanceof TerminalError) return true;
  return false;
}
