import { Counter, Gauge, Histogram, type Registry } from '@agent-sandbox/telemetry';

/** The router's own series, next to the process metrics of the registry. */
export class RouterMetrics {
  readonly requests: Counter<'kind' | 'code'>;
  readonly duration: Histogram<'kind' | 'code'>;
  readonly upstreamErrors: Counter<'reason'>;
  readonly authorization: Counter<'result' | 'cached'>;
  readonly websockets: Gauge;
  readonly inFlight: Gauge;

  constructor(registry: Registry) {
    this.requests = new Counter({ name: 'sandbox_router_requests_total', help: 'Requests answered, by kind (http, websocket) and status code.', labelNames: ['kind', 'code'], registers: [registry] });
    this.duration = new Histogram({
      name: 'sandbox_router_request_duration_seconds',
      help: 'Time from a request to the end of its answer (for WebSockets, the connection\'s life), by kind and status code.',
      labelNames: ['kind', 'code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180],
      registers: [registry],
    });
    this.upstreamErrors = new Counter({ name: 'sandbox_router_upstream_errors_total', help: 'Requests that failed between the router and a sandbox, by reason.', labelNames: ['reason'], registers: [registry] });
    this.authorization = new Counter({
      name: 'sandbox_router_authorization_total',
      help: 'Authorization decisions (allowed, forbidden, unauthenticated, error) and whether they came from the cache.',
      labelNames: ['result', 'cached'],
      registers: [registry],
    });
    this.websockets = new Gauge({ name: 'sandbox_router_websockets', help: 'WebSocket connections open now.', registers: [registry] });
    this.inFlight = new Gauge({ name: 'sandbox_router_requests_in_flight', help: 'HTTP requests being proxied now.', registers: [registry] });
  }
}
