/**
 * A client span per API request made inside a traced operation (a reconcile), with
 * OpenTelemetry's HTTP and Kubernetes attributes. Requests outside any recording span (watches,
 * informer lists, lease renewals) make none: they would each be a trace of one span.
 */
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';

const TRACER = 'agent-sandbox/kube-client';

export interface ApiPath {
  group: string;
  version: string;
  /** The resource's plural (`sandboxes`), or the path's last segment when it names none. */
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** What an API path names: `/api/v1/namespaces/ns/pods/p/status`, `/apis/g/v/plural`, … */
export function parseApiPath(path: string): ApiPath | undefined {
  const parts = path.split('?')[0]!.split('/').filter(Boolean);
  let i: number;
  let group: string;
  let version: string;
  if (parts[0] === 'api' && parts.length >= 2) {
    group = '';
    version = parts[1]!;
    i = 2;
  } else if (parts[0] === 'apis' && parts.length >= 3) {
    group = parts[1]!;
    version = parts[2]!;
    i = 3;
  } else return undefined;
  let namespace: string | undefined;
  // `namespaces/<ns>/<resource>…` is a namespaced resource; `namespaces/<ns>` alone is a Namespace.
  if (parts[i] === 'namespaces' && parts.length > i + 2) {
    namespace = parts[i + 1];
    i += 2;
  }
  const resource = parts[i];
  if (!resource) return undefined;
  const name = parts[i + 1];
  const subresource = parts[i + 2];
  return { group, version, resource, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}), ...(subresource ? { subresource } : {}) };
}

/** Starts the span of one request, or returns undefined when no traced operation is active. */
export function startRequestSpan(method: string, url: URL): Span | undefined {
  const active = trace.getSpan(context.active());
  if (!active?.isRecording()) return undefined;
  const api = parseApiPath(url.pathname);
  const resource = api ? (api.subresource ? `${api.resource}/${api.subresource}` : api.resource) : url.pathname;
  return trace.getTracer(TRACER).startSpan(`${method} ${resource}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      'http.request.method': method,
      'server.address': url.hostname,
      'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      'url.path': url.pathname,
      ...(api
        ? {
            'k8s.resource.group': api.group,
            'k8s.resource.version': api.version,
            'k8s.resource': api.resource,
            ...(api.namespace ? { 'k8s.namespace.name': api.namespace } : {}),
            ...(api.name ? { 'k8s.object.name': api.name } : {}),
            ...(api.subresource ? { 'k8s.subresource': api.subresource } : {}),
          }
        : {}),
    },
  });
}

/**
 * Ends a request's span with its status code; 4xx and 5xx are errors (`error.type` the API
 * server's reason, `Conflict` for an optimistic lock lost), 0 a transport failure.
 */
export function endRequestSpan(span: Span | undefined, status: number, reason?: string): void {
  if (!span) return;
  if (status > 0) span.setAttribute('http.response.status_code', status);
  if (status === 0 || status >= 400) {
    span.setAttribute('error.type', reason ?? (status === 0 ? 'transport' : String(status)));
    span.setStatus({ code: SpanStatusCode.ERROR, message: `${status} ${reason ?? ''}`.trim() });
  }
  span.end();
}
