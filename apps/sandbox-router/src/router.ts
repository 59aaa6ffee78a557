import { createServer, request as httpRequest, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import type { Logger } from '@agent-sandbox/telemetry';
import { AuthorizationUnavailable, type Authorizer, type UserInfo } from './auth/authorizer.ts';
import type { RouterMetrics } from './metrics.ts';
import { addForwarded, forwardHeaders, responseHeaders } from './proxy/forward-headers.ts';
import type { SandboxIndex } from './target/sandbox-index.ts';
import { HeaderError, parseTargetHeaders, type TargetRequest } from './target/target-headers.ts';

export interface RouterOptions {
  index: SandboxIndex;
  /** Undefined: no authorization (development only). */
  authorizer?: Authorizer;
  log: Logger;
  metrics: RouterMetrics;
  tracer: Tracer;
  /** A request's time limit when X-Sandbox-Timeout does not say; also its ceiling. */
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
  websocketIdleMs: number;
  websocketLifetimeMs: number;
  websocketsPerClient: number;
  /**
   * How long a request for a Sandbox the router's watch does not know yet (or knows as not
   * Ready) waits for the watch to catch up before it is answered 404 or 503.
   */
  resolveWaitMs: number;
}

/** A refusal of the router itself: `{"detail": …}` with a status. */
class Refusal extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, detail: string, headers: Record<string, string> = {}) {
    super(detail);
    this.status = status;
    this.headers = headers;
  }
}

interface Routed {
  target: TargetRequest;
  address: string;
  port: number;
  user?: UserInfo;
  timeoutMs: number;
}

/**
 * The sandbox router: an HTTP reverse proxy that sends each request to the Sandbox its
 * X-Sandbox-* headers name. Per request: headers checked (400), caller authenticated and
 * authorized (401/403, when on), target resolved from the router's own watch (404, 503), then
 * the request and its answer streamed through (502/504 when the sandbox fails), or the
 * WebSocket tunnelled with idle and lifetime limits and a cap per client.
 */
export class SandboxRouter {
  readonly server: Server;
  readonly #options: RouterOptions;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 256 });
  readonly #websockets = new Set<{ client: Duplex; upstream: Socket }>();
  readonly #perClient = new Map<string, number>();
  #draining = false;

  constructor(options: RouterOptions) {
    this.#options = options;
    this.server = createServer({ requestTimeout: 0, headersTimeout: 30_000, keepAliveTimeout: 65_000 }, (req, res) => void this.#handle(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.#upgrade(req, socket, head));
  }

  get websocketCount(): number {
    return this.#websockets.size;
  }

  /** Stops taking requests; in-flight ones finish (the caller bounds the wait). WebSockets are closed at `closeAll`. */
  async drain(): Promise<void> {
    this.#draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    await closed;
  }

  closeAll(): void {
    for (const { client, upstream } of this.#websockets) {
      client.destroy();
      upstream.destroy();
    }
    this.server.closeAllConnections();
    this.#agent.destroy();
  }

  /** Headers → caller → target; throws a Refusal for every way a request can be turned away. */
  async #route(req: IncomingMessage, span: Span): Promise<Routed> {
    let target: TargetRequest;
    try {
      target = parseTargetHeaders(req.headers);
    } catch (err) {
      if (err instanceof HeaderError) throw new Refusal(400, err.message);
      throw err;
    }
    span.setAttributes({ 'sandbox.namespace': target.namespace, 'sandbox.name': target.name, 'sandbox.port': target.port });
    // The caller may have seen its Sandbox Ready before the router's watch did: give the watch a
    // moment to catch up, so that the claim holding the Sandbox is known when rights are checked.
    // A caller that hangs up stops the wait.
    const aborted = new AbortController();
    const hungUp = () => aborted.abort();
    req.socket.once('close', hungUp);
    try {
      return await this.#authorizeAndResolve(req, span, target, aborted.signal);
    } finally {
      req.socket.off('close', hungUp);
    }
  }

  async #authorizeAndResolve(req: IncomingMessage, span: Span, target: TargetRequest, signal: AbortSignal): Promise<Routed> {
    const { index, authorizer, metrics, resolveWaitMs } = this.#options;
    const deadline = performance.now() + resolveWaitMs;
    await index.awaitKnown(target.namespace, target.name, resolveWaitMs, signal);
    let user: UserInfo | undefined;
    if (authorizer) {
      // Before the lookup: a caller without rights learns nothing, not even whether the Sandbox exists.
      let decision;
      try {
        const ask = (claim: string | undefined) => authorizer.authorize(req.headers.authorization, { namespace: target.namespace, name: target.name, claim });
        const claim = index.claimFor(target.namespace, target.name);
        decision = await ask(claim);
        // Refused for a Sandbox no claim holds, as far as the router has seen: it may be a pool
        // member just adopted by the caller's claim. Wait (within the same bound) to see a claim
        // hold it, then ask again, for that claim.
        if (decision.kind === 'forbidden' && claim === undefined && index.sandbox(target.namespace, target.name)) {
          const adopter = await index.awaitClaim(target.namespace, target.name, deadline - performance.now(), signal);
          if (adopter !== undefined) decision = await ask(adopter);
        }
      } catch (err) {
        if (!(err instanceof AuthorizationUnavailable)) throw err;
        metrics.authorization.inc({ result: 'error', cached: 'false' });
        throw new Refusal(503, `cannot check the caller's rights now: ${err.message}`, { 'retry-after': '1' });
      }
      if (decision.kind === 'unauthenticated') {
        metrics.authorization.inc({ result: 'unauthenticated', cached: 'false' });
        throw new Refusal(401, decision.detail, { 'www-authenticate': 'Bearer' });
      }
      metrics.authorization.inc({ result: decision.kind, cached: String(decision.cached) });
      span.setAttribute('enduser.id', decision.user.username);
      if (decision.kind === 'forbidden') throw new Refusal(403, decision.detail);
      user = decision.user;
    }
    const resolution = await index.resolveWithin(target, Math.max(0, deadline - performance.now()), signal);
    switch (resolution.kind) {
      case 'not-found':
        throw new Refusal(404, resolution.detail);
      case 'not-ready':
        throw new Refusal(503, resolution.detail, { 'retry-after': '1' });
      case 'bad-address':
        throw new Refusal(502, resolution.detail);
    }
    const { defaultTimeoutMs, maxTimeoutMs } = this.#options;
    const timeoutMs = Math.min(target.timeoutMs || defaultTimeoutMs, maxTimeoutMs);
    span.setAttributes({ 'server.address': resolution.address, 'server.port': resolution.port });
    return { target, address: resolution.address, port: resolution.port, user, timeoutMs };
  }

  #startSpan(req: IncomingMessage, kind: string): { span: Span; ctx: ReturnType<typeof context.active> } {
    const parent = propagation.extract(context.active(), req.headers);
    const span = this.#options.tracer.startSpan(
      `${kind === 'websocket' ? 'WEBSOCKET' : req.method} sandbox`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? '', 'url.path': (req.url ?? '').split('?')[0]!.slice(0, 256) } },
      parent,
    );
    return { span, ctx: trace.setSpan(parent, span) };
  }

  #finish(span: Span, kind: string, code: number, startedAt: number, detail?: string): void {
    const { metrics } = this.#options;
    metrics.requests.inc({ kind, code: String(code) });
    metrics.duration.observe({ kind, code: String(code) }, (performance.now() - startedAt) / 1000);
    span.setAttribute('http.response.status_code', code);
    if (code >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: detail });
    span.end();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = performance.now();
    const { span, ctx } = this.#startSpan(req, 'http');
    const { metrics, log } = this.#options;
    metrics.inFlight.inc();
    let code = 0;
    let detail: string | undefined;
    try {
      const routed = await this.#route(req, span);
      code = await context.with(ctx, () => this.#proxy(req, res, routed));
    } catch (err) {
      const refusal = err instanceof Refusal ? err : new Refusal(500, 'internal error');
      if (!(err instanceof Refusal)) log.error({ err }, 'request failed');
      code = refusal.status;
      detail = refusal.message;
      sendDetail(res, refusal.status, refusal.message, refusal.headers);
    } finally {
      metrics.inFlight.dec();
      this.#finish(span, 'http', code, startedAt, detail);
      if (code >= 500 || log.isLevelEnabled('debug')) {
        log[code >= 500 ? 'warn' : 'debug'](
          { method: req.method, sandbox: `${req.headers['x-sandbox-namespace'] ?? 'default'}/${req.headers['x-sandbox-id'] ?? ''}`, code, detail, durationMs: Math.round(performance.now() - startedAt) },
          'request',
        );
      }
    }
  }

  /** Streams the request to the sandbox and its answer back; resolves with the status sent. */
  #proxy(req: IncomingMessage, res: ServerResponse, routed: Routed): Promise<number> {
    const { metrics } = this.#options;
    const headers = forwardHeaders(req.headers, { dropAuthorization: this.#options.authorizer !== undefined });
    addForwarded(headers, req.headers, req.socket.remoteAddress);
    propagation.inject(context.active(), headers);
    if (this.#draining) res.setHeader('connection', 'close');
    return new Promise<number>((resolve) => {
      let settled = false;
      const settle = (code: number) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(code);
      };
      const upstream = httpRequest({ host: routed.address, port: routed.port, method: req.method, path: req.url, headers, agent: this.#agent });
      const fail = (status: number, reason: string, detail: string) => {
        metrics.upstreamErrors.inc({ reason });
        upstream.destroy();
        if (res.headersSent) res.destroy();
        else sendDetail(res, status, detail);
        settle(status);
      };
      const timer = setTimeout(
        () => fail(504, 'timeout', `Sandbox ${routed.target.namespace}/${routed.target.name} did not answer within ${routed.timeoutMs / 1000} s`),
        routed.timeoutMs,
      );
      upstream.on('response', (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, responseHeaders(answer.headers));
        // Streamed as it comes (Server-Sent Events, downloads): no buffering in the router.
        res.flushHeaders();
        answer.pipe(res);
        answer.on('error', () => fail(502, 'reset', 'the sandbox closed the connection mid-answer'));
        res.on('finish', () => settle(answer.statusCode ?? 502));
      });
      upstream.on('error', (err: NodeJS.ErrnoException) => {
        if (settled) return;
        fail(502, err.code ?? 'error', `cannot reach Sandbox ${routed.target.namespace}/${routed.target.name}: ${err.code ?? err.message}`);
      });
      // The client went away: stop the work in the sandbox too.
      res.on('close', () => {
        if (!res.writableFinished) {
          upstream.destroy();
          settle(499);
        }
      });
      req.pipe(upstream);
    });
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const startedAt = performance.now();
    const { span } = this.#startSpan(req, 'websocket');
    const { metrics, websocketsPerClient } = this.#options;
    socket.on('error', () => socket.destroy());
    let routed: Routed;
    let clientKey: string;
    try {
      if (this.#draining) throw new Refusal(503, 'the router is shutting down', { 'retry-after': '1' });
      routed = await this.#route(req, span);
      clientKey = routed.user?.username ?? req.socket.remoteAddress ?? 'unknown';
      if ((this.#perClient.get(clientKey) ?? 0) >= websocketsPerClient) {
        throw new Refusal(429, `too many WebSocket connections for this client (at most ${websocketsPerClient})`, { 'retry-after': '5' });
      }
    } catch (err) {
      const refusal = err instanceof Refusal ? err : new Refusal(500, 'internal error');
      writeRawDetail(socket, refusal.status, refusal.message, refusal.headers);
      this.#finish(span, 'websocket', refusal.status, startedAt, refusal.message);
      return;
    }
    this.#perClient.set(clientKey, (this.#perClient.get(clientKey) ?? 0) + 1);
    const headers = forwardHeaders(req.headers, { dropAuthorization: this.#options.authorizer !== undefined, keepUpgrade: true });
    addForwarded(headers, req.headers, req.socket.remoteAddress);
    propagation.inject(trace.setSpan(context.active(), span), headers);
    const upstream = connect({ host: routed.address, port: routed.port });
    const entry = { client: socket, upstream };
    this.#websockets.add(entry);
    metrics.websockets.inc();
    let code = 101;
    const lifetime = setTimeout(() => close('lifetime'), this.#options.websocketLifetimeMs);
    let closed = false;
    const close = (why?: string) => {
      if (closed) return;
      closed = true;
      clearTimeout(lifetime);
      if (why) metrics.upstreamErrors.inc({ reason: `websocket-${why}` });
      socket.destroy();
      upstream.destroy();
      this.#websockets.delete(entry);
      metrics.websockets.dec();
      const left = (this.#perClient.get(clientKey) ?? 1) - 1;
      if (left <= 0) this.#perClient.delete(clientKey);
      else this.#perClient.set(clientKey, left);
      this.#finish(span, 'websocket', code, startedAt);
    };
    // Idle: no byte either way for this long (writes to the client count as activity on it).
    (socket as Socket).setTimeout?.(this.#options.websocketIdleMs, () => close('idle'));
    upstream.once('connect', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (const [name, value] of Object.entries(headers)) {
        for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) lines.push(`${name}: ${String(v)}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (!upstream.bytesRead && !closed) {
        code = 502;
        writeRawDetail(socket, 502, `cannot reach Sandbox ${routed.target.namespace}/${routed.target.name}: ${err.code ?? err.message}`);
      }
      close();
    });
    upstream.on('close', () => close());
    socket.on('close', () => close());
  }
}

function sendDetail(res: ServerResponse, status: number, detail: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  const body = JSON.stringify({ detail });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' };

/** An HTTP answer written on a raw socket (an upgrade that will not happen), then closed. */
function writeRawDetail(socket: Duplex, status: number, detail: string, headers: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ detail });
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n${extra}\r\n${body}`);
}
