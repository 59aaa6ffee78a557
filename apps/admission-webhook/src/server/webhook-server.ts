/**
 * The HTTPS endpoints the API server calls: POST /mutate and POST /validate, each taking an
 * AdmissionReview. Malformed requests get a 4xx with a Status naming the problem; a review
 * never gets a 5xx (a bug is answered as a refusal, see handle-review.ts).
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { Logger } from '@agent-sandbox/telemetry';
import { listenOn, type BindAddress } from '@agent-sandbox/runtime';
import { MalformedReview } from '../review/admission-review.ts';
import { handleReview, type ReviewContext, type WebhookKind } from '../review/handle-review.ts';
import type { WebhookMetrics } from './metrics.ts';

/** The API server sends at most about 3 MiB of object (twice on UPDATE); leave headroom. */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

const ROUTES: Record<string, WebhookKind> = { '/mutate': 'mutate', '/validate': 'validate' };

export interface ReviewListenerOptions {
  context: ReviewContext;
  log: Logger;
  metrics?: WebhookMetrics;
  maxBodyBytes?: number;
}

class HttpProblem extends Error {
  readonly code: number;
  readonly reason: string;
  /** What the log may say: the answer without anything quoted from the body. */
  readonly logReason: string;

  constructor(code: number, reason: string, message: string, logReason = message) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.logReason = logReason;
  }
}

function sendJson(res: ServerResponse, code: number, body: unknown, close = false): void {
  if (res.headersSent) return void res.end();
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) };
  if (close) headers.connection = 'close';
  res.writeHead(code, headers);
  res.end(text);
}

function statusBody(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason, message };
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      return reject(new HttpProblem(413, 'RequestEntityTooLarge', `the body may be at most ${limit} bytes; got ${declared}`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpProblem(413, 'RequestEntityTooLarge', `the body may be at most ${limit} bytes`));
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The request listener, separate from the server so tests and benchmarks can mount it. */
export function reviewRequestListener(options: ReviewListenerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { context, log, metrics } = options;
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  return (req, res) => {
    const started = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/healthz' || path === '/readyz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    const webhook = ROUTES[path];
    const refuse = (problem: HttpProblem) => {
      metrics?.malformed.inc({ webhook: webhook ?? 'none', code: String(problem.code) });
      log.debug({ path: webhook ? path : '(other)', code: problem.code, reason: problem.logReason }, 'refused a malformed request');
      // A refused body may still be arriving: close rather than read the rest.
      sendJson(res, problem.code, statusBody(problem.code, problem.reason, problem.message), problem.code === 413);
    };
    if (!webhook) return refuse(new HttpProblem(404, 'NotFound', `no webhook at ${path.slice(0, 100)}; use /mutate or /validate`));
    if (req.method !== 'POST') return refuse(new HttpProblem(405, 'MethodNotAllowed', `use POST for ${path}; got ${req.method}`));
    const type = req.headers['content-type'];
    if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
      return refuse(new HttpProblem(415, 'UnsupportedMediaType', `the body must be application/json; got ${type.slice(0, 100)}`));
    }

    void (async () => {
      let body: unknown;
      try {
        const raw = await readBody(req, limit);
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch (err) {
          // V8's message quotes the body; the caller may see that, the log may not.
          throw new HttpProblem(400, 'BadRequest', `the body is not valid JSON: ${(err as Error).message.slice(0, 200)}`, 'the body is not valid JSON');
        }
        const outcome = await handleReview(webhook, body, context);
        sendJson(res, 200, outcome.review);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const kind = outcome.verdict === 'ignored' ? 'other' : outcome.kind;
        metrics?.reviews.inc({ webhook, kind, operation: outcome.operation, verdict: outcome.verdict });
        metrics?.duration.observe({ webhook }, seconds);
        const r = outcome.request;
        const fields = {
          webhook,
          uid: r.uid,
          kind,
          namespace: r.namespace,
          name: r.name,
          operation: r.operation,
          user: r.userInfo.username,
          verdict: outcome.verdict,
          ms: Math.round(seconds * 1e5) / 100,
        };
        if (outcome.verdict === 'error') log.error({ ...fields, err: outcome.error }, 'review failed');
        else if (outcome.verdict === 'denied' || outcome.verdict === 'unavailable') log.info({ ...fields, refused: outcome.refused }, 'review refused');
        else log.debug(fields, 'review answered');
      } catch (err) {
        if (err instanceof HttpProblem) return refuse(err);
        if (err instanceof MalformedReview) {
          const message = `not a valid AdmissionReview: ${err.message}`;
          return refuse(new HttpProblem(400, 'BadRequest', message, message.replace(/; got .*$/, '')));
        }
        log.error({ err, path }, 'unexpected error handling a request');
        refuse(new HttpProblem(400, 'BadRequest', 'the request could not be read'));
      }
    })();
  };
}

export interface WebhookServerOptions extends ReviewListenerOptions {
  certificate: SecureContextOptions;
}

/** The HTTPS server; its certificate can be replaced while it runs (new connections use it). */
export class WebhookServer {
  readonly #server: Server;
  /** Every open connection, from its TCP accept on (a TLS handshake may still be going on). */
  readonly #sockets = new Set<Socket>();
  /** Requests received and not yet answered. */
  #inFlight = 0;
  #answeredAll: (() => void) | undefined;
  /** Stopping: answers close their connection, so the client's pool lets go of this server. */
  #draining = false;

  constructor(options: WebhookServerOptions) {
    this.#server = createServer({ ...options.certificate, minVersion: 'TLSv1.2' }, reviewRequestListener(options));
    this.#server.keepAliveTimeout = 60_000;
    this.#server.requestTimeout = 30_000;
    this.#server.on('tlsClientError', (err) => options.log.debug({ err: err.message }, 'TLS handshake failed'));
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    this.#server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
      if (this.#draining && !res.headersSent) res.setHeader('connection', 'close');
      this.#inFlight++;
      res.once('close', () => {
        if (--this.#inFlight === 0) this.#answeredAll?.();
      });
    });
  }

  setCertificate(certificate: SecureContextOptions): void {
    this.#server.setSecureContext({ ...certificate, minVersion: 'TLSv1.2' });
  }

  listen(bind: BindAddress): Promise<AddressInfo> {
    return listenOn(this.#server, bind);
  }

  /**
   * Stops serving. For `drainMs` first it goes on accepting connections and answering reviews,
   * each answer with `Connection: close`: in a cluster, the API server reaches the webhook
   * through its Service, and after the Pod is told to stop, the Service's endpoints take a
   * moment to forget it everywhere (new connections still arrive), while connections the API
   * server already holds in its pool stay pointed at this Pod until closed. A connection closed
   * under a review the API server has just sent fails that review (no retry for a POST), so
   * the pool's connections are let go at the end of an answer instead, as each is used.
   *
   * Then it stops accepting, lets in-flight reviews finish, and closes every connection.
   * Closing only the idle ones is not enough: Node counts a connection that has not sent a
   * request yet as busy (its headers timeout runs), and the API server keeps such spare
   * connections in its pool until its own idle timeout (90 s), so the stop would wait for them.
   */
  async close(drainMs = 0): Promise<void> {
    const server = this.#server;
    if (!server.listening) return;
    this.#draining = true;
    if (drainMs > 0) await new Promise((resolve) => setTimeout(resolve, drainMs));
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#answeredAll = resolve));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }
}
