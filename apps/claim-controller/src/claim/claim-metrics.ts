import { CLIENT_FIRST_REQUESTED_AT_ANNOTATION, CONTROLLER_FIRST_OBSERVED_AT_ANNOTATION, WEBHOOK_FIRST_OBSERVED_AT_ANNOTATION } from '@agent-sandbox/api';
import { Counter, Histogram, type Registry } from '@agent-sandbox/telemetry';
import type { ClaimObject } from '../kinds.ts';

const BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000];

/** RFC 3339 with nanoseconds, as the latency annotations are written. */
export function nanoTime(date: Date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** The claim metrics of the standard; each is recorded once per claim (see the reconciler). */
export class ClaimMetrics {
  readonly startup: Histogram<'namespace' | 'launch_type'>;
  readonly controllerStartup: Histogram<'namespace' | 'launch_type'>;
  readonly creations: Counter<'namespace' | 'launch_type'>;

  constructor(registry: Registry) {
    this.startup = new Histogram({
      name: 'agent_sandbox_claim_startup_latency_ms',
      help: 'Time from a claim being requested (client annotation, else webhook annotation, else creation) to its first Ready, in milliseconds',
      labelNames: ['namespace', 'launch_type'],
      buckets: BUCKETS_MS,
      registers: [registry],
    });
    this.controllerStartup = new Histogram({
      name: 'agent_sandbox_claim_controller_startup_latency_ms',
      help: 'Time from the claim-controller first observing a claim to its first Ready, in milliseconds',
      labelNames: ['namespace', 'launch_type'],
      buckets: BUCKETS_MS,
      registers: [registry],
    });
    this.creations = new Counter({
      name: 'agent_sandbox_claim_creation_total',
      help: 'Claims bound to a sandbox, by launch type (warm: taken from a pool; cold: created for the claim)',
      labelNames: ['namespace', 'launch_type'],
      registers: [registry],
    });
  }

  observeFirstReady(claim: ClaimObject, launchType: string, readyAt: Date): void {
    const a = claim.metadata.annotations ?? {};
    const labels = { namespace: claim.metadata.namespace ?? '', launch_type: launchType };
    const requested = Date.parse(a[CLIENT_FIRST_REQUESTED_AT_ANNOTATION] ?? a[WEBHOOK_FIRST_OBSERVED_AT_ANNOTATION] ?? String(claim.metadata.creationTimestamp ?? ''));
    if (!Number.isNaN(requested)) this.startup.observe(labels, Math.max(0, readyAt.getTime() - requested));
    const observed = Date.parse(a[CONTROLLER_FIRST_OBSERVED_AT_ANNOTATION] ?? '');
    if (!Number.isNaN(observed)) this.controllerStartup.observe(labels, Math.max(0, readyAt.getTime() - observed));
  }
}
