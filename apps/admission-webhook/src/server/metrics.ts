import { Counter, Gauge, Histogram, type Registry } from '@agent-sandbox/telemetry';

/** The webhook's Prometheus metrics, in the standard's naming style. */
export class WebhookMetrics {
  readonly reviews: Counter<'webhook' | 'kind' | 'operation' | 'verdict'>;
  readonly duration: Histogram<'webhook'>;
  readonly malformed: Counter<'webhook' | 'code'>;
  readonly certificateReloads: Counter<'result'>;
  readonly certificateNotAfter: Gauge;
  readonly policyReloads: Counter<'result'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.reviews = new Counter({
      name: 'agent_sandbox_webhook_reviews_total',
      help: 'Admission reviews answered, by webhook (mutate, validate), kind, operation and verdict (allowed, patched, denied, unavailable, ignored, error).',
      labelNames: ['webhook', 'kind', 'operation', 'verdict'],
      registers,
    });
    this.duration = new Histogram({
      name: 'agent_sandbox_webhook_review_duration_seconds',
      help: 'Time from the first byte of a review request to the end of the response.',
      labelNames: ['webhook'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.malformed = new Counter({
      name: 'agent_sandbox_webhook_malformed_requests_total',
      help: 'Requests refused before review (bad method, media type, size or AdmissionReview), by HTTP status.',
      labelNames: ['webhook', 'code'],
      registers,
    });
    this.certificateReloads = new Counter({
      name: 'agent_sandbox_webhook_certificate_reloads_total',
      help: 'Serving certificate loads after the first, by result (success, failure).',
      labelNames: ['result'],
      registers,
    });
    this.certificateNotAfter = new Gauge({
      name: 'agent_sandbox_webhook_certificate_not_after_timestamp_seconds',
      help: 'Expiry of the serving certificate in use (Unix seconds).',
      registers,
    });
    this.policyReloads = new Counter({
      name: 'agent_sandbox_webhook_policy_reloads_total',
      help: 'Policy file loads after the first, by result (success, failure: the previous policy stays).',
      labelNames: ['result'],
      registers,
    });
  }
}
