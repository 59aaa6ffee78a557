import { Counter, Gauge, Histogram, type Registry } from '@agent-sandbox/telemetry';

/** Act time minus deadline: how late the reaper was. */
const LAG_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export class ReaperMetrics {
  readonly lag: Histogram<'kind'>;
  readonly actions: Counter<'kind' | 'policy'>;

  constructor(registry: Registry, pending: () => number) {
    this.lag = new Histogram({
      name: 'agent_sandbox_ttl_deadline_lag_seconds',
      help: 'Seconds between a deadline and the reaper acting on it (the first write that expires or deletes the object).',
      labelNames: ['kind'],
      buckets: LAG_BUCKETS_SECONDS,
      registers: [registry],
    });
    this.actions = new Counter({
      name: 'agent_sandbox_ttl_actions_total',
      help: 'Objects expired or deleted at their deadline, by kind and shutdown policy.',
      labelNames: ['kind', 'policy'],
      registers: [registry],
    });
    new Gauge({
      name: 'agent_sandbox_ttl_pending_deadlines',
      help: 'Deadlines the reaper is waiting for.',
      registers: [registry],
      collect() {
        this.set(pending());
      },
    });
  }
}
