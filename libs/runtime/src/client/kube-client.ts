import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import { ApiError } from './api-error.ts';
import type { KubeConnection } from './kubeconfig.ts';
import { collectionPath, objectPath, type ResourceKind } from './kinds.ts';
import type { KubeObject, ObjectList, ObjectRef } from './objects.ts';
import { endRequestSpan, startRequestSpan } from './request-span.ts';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Whole-request bound; watches use the server-side timeout and the watchdog instead. */
  timeoutMs?: number;
}

/** Sockets already counted in some client's stats (a keep-alive socket serves many requests). */
const KNOWN_SOCKETS = new WeakSet<object>();

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';
const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface KubeClientOptions {
  /**
   * How often credentials and TLS settings are read again from the kubeconfig (rotated tokens,
   * exec plugins, renewed client certificates). Default 60 s.
   */
  credentialsTtlMs?: number;
}

/** What a request is sent with: the headers and basic auth of the moment, and the agent. */
interface Credentials {
  headers: Record<string, string>;
  auth: string | undefined;
  agent: http.Agent;
}

/** Connection counts, for tests and diagnostics. */
export interface TransportStats {
  /** Agents made: one, plus one per change of TLS material. */
  agents: number;
  /** TCP (or TLS) connections opened. */
  connections: number;
}

/**
 * A small REST client over node:http(s). A KubeConnection (our kubeconfig loader, or
 * @kubernetes/client-node's KubeConfig) supplies the TLS material and credentials; requests, streaming watches and error
 * decoding are ours, so the watch loop owns its timeouts and aborts.
 *
 * Credentials are read again every `credentialsTtlMs`. A new token only changes the headers
 * of the requests that follow; connections in use are never touched, so a refresh breaks no
 * watch and never turns a write the server accepted into a reported failure. Only new TLS
 * material (a renewed client certificate, another CA) makes a new agent, and the old one is
 * closed once the requests it carries have ended.
 */
export class KubeClient {
  readonly server: URL;
  readonly stats: TransportStats = { agents: 0, connections: 0 };
  readonly #kubeConfig: KubeConnection;
  readonly #credentialsTtlMs: number;
  #credentials: Promise<Credentials> | undefined;
  #credentialsAt = 0;
  #agent: { agent: http.Agent; tls: string } | undefined;
  /** Requests in flight per agent, so a replaced agent is closed only once it is idle. */
  readonly #inFlight = new Map<http.Agent, number>();
  readonly #retired = new Set<http.Agent>();

  constructor(kubeConfig: KubeConnection, options: KubeClientOptions = {}) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig: no current cluster');
    this.server = new URL(cluster.server);
    this.#kubeConfig = kubeConfig;
    this.#credentialsTtlMs = options.credentialsTtlMs ?? 60_000;
  }

  #requestCredentials(): Promise<Credentials> {
    const now = performance.now();
    if (!this.#credentials || now - this.#credentialsAt > this.#credentialsTtlMs) {
      this.#credentialsAt = now;
      const reading = this.#readCredentials();
      // A failed read is tried again by the next request; until then the last good one stays.
      const previous = this.#credentials;
      this.#credentials = reading;
      reading.catch(() => {
        if (this.#credentials === reading) this.#credentials = previous;
        this.#credentialsAt = 0;
      });
      return previous ? reading.catch(() => previous) : reading;
    }
    return this.#credentials;
  }

  async #readCredentials(): Promise<Credentials> {
    const opts: https.RequestOptions = {};
    await this.#kubeConfig.applyToHTTPSOptions(opts);
    const isHttps = this.server.protocol === 'https:';
    const tls = isHttps ? tlsFingerprint(opts) : '';
    if (!this.#agent || this.#agent.tls !== tls) {
      const agent = isHttps
        ? new https.Agent({ keepAlive: true, ca: opts.ca, cert: opts.cert, key: opts.key, rejectUnauthorized: opts.rejectUnauthorized, servername: opts.servername })
        : new http.Agent({ keepAlive: true });
      this.stats.agents++;
      if (this.#agent) this.#retire(this.#agent.agent);
      this.#agent = { agent, tls };
    }
    return { headers: { ...((opts.headers ?? {}) as Record<string, string>) }, auth: opts.auth ?? undefined, agent: this.#agent.agent };
  }

  /** Closes a replaced agent once nothing is in flight on it; its requests finish undisturbed. */
  #retire(agent: http.Agent): void {
    if ((this.#inFlight.get(agent) ?? 0) === 0) agent.destroy();
    else this.#retired.add(agent);
  }

  #track(agent: http.Agent, delta: 1 | -1): void {
    const n = (this.#inFlight.get(agent) ?? 0) + delta;
    if (n > 0) return void this.#inFlight.set(agent, n);
    this.#inFlight.delete(agent);
    if (this.#retired.delete(agent)) agent.destroy();
  }

  async #open(method: string, path: string, options: RequestOptions): Promise<http.IncomingMessage> {
    const credentials = await this.#requestCredentials();
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const headers: Record<string, string | number> = { ...credentials.headers, accept: 'application/json' };
    if (payload) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = payload.length;
    }
    const transport = url.protocol === 'https:' ? https : http;
    const { agent } = credentials;
    this.#track(agent, 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#track(agent, -1);
    };
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { method, headers, agent, auth: credentials.auth, signal: options.signal });
      let timer: NodeJS.Timeout | undefined;
      if (options.timeoutMs) timer = setTimeout(() => req.destroy(new ApiError(0, 'Timeout', `${method} ${url.pathname}: no answer in ${options.timeoutMs} ms`)), options.timeoutMs);
      req.on('socket', (socket) => {
        if (KNOWN_SOCKETS.has(socket)) return;
        KNOWN_SOCKETS.add(socket);
        this.stats.connections++;
      });
      let answered = false;
      req.on('response', (res) => {
        clearTimeout(timer);
        answered = true;
        res.once('close', release);
        resolve(res);
      });
      req.on('close', () => {
        if (!answered) release();
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        release();
        reject(err instanceof ApiError ? err : new ApiError(0, (err as NodeJS.ErrnoException).code ?? err.name, `${method} ${url.pathname}: ${err.message}`));
      });
      req.end(payload);
    });
  }

  /** One request; the decoded JSON body on 2xx, else an ApiError from the Status. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const span = startRequestSpan(method, new URL(path, this.server));
    let result;
    try {
      result = await this.#exchange(method, path, options);
    } catch (err) {
      endRequestSpan(span, 0, err instanceof ApiError ? err.reason : undefined);
      throw err;
    }
    const { status, text } = result;
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = { message: text.slice(0, 500) };
    }
    if (status < 200 || status >= 300) {
      const err = ApiError.fromStatus(status, body);
      endRequestSpan(span, status, err.reason);
      throw err;
    }
    endRequestSpan(span, status);
    return body as T;
  }

  /** A GET whose body is text, such as the API server's `/metrics`. */
  async getText(path: string, options: RequestOptions = {}): Promise<string> {
    const { status, text } = await this.#exchange('GET', path, options);
    if (status < 200 || status >= 300) throw ApiError.fromStatus(status, { message: text.slice(0, 500) });
    return text;
  }

  async #exchange(method: string, path: string, options: RequestOptions): Promise<{ status: number; text: string }> {
    const res = await this.#open(method, path, { ...options, timeoutMs: options.timeoutMs ?? 30_000 });
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return { status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') };
  }

  /**
   * A streaming GET (a watch): `onLine` gets each decoded JSON line as it arrives and `onData`
   * every chunk (for the watchdog). Resolves when the server ends the stream.
   */
  async stream(path: string, options: RequestOptions & { onLine: (value: unknown) => void; onData?: () => void }): Promise<void> {
    const res = await this.#open('GET', path, options);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      throw ApiError.fromStatus(status, body);
    }
    // Aborting the request does not end a response already streaming: destroy it ourselves.
    const onAbort = () => res.destroy(new ApiError(0, 'Aborted', `watch ${path}: aborted`));
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // A chunk may end inside a multi-byte character: the decoder keeps the partial bytes for
    // the next chunk instead of turning them into U+FFFD.
    const decoder = new StringDecoder('utf8');
    let pending = '';
    try {
      for await (const chunk of res) {
        options.onData?.();
        pending += decoder.write(chunk as Buffer);
        let nl: number;
        while ((nl = pending.indexOf('\n')) !== -1) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (line) options.onLine(JSON.parse(line));
        }
      }
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new ApiError(0, (err as NodeJS.ErrnoException).code ?? 'StreamError', `watch ${path}: ${(err as Error).message}`);
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  // Typed helpers over the REST paths.

  list<T extends KubeObject>(kind: ResourceKind, options: { namespace?: string; query?: Query; signal?: AbortSignal } = {}): Promise<ObjectList<T>> {
    return this.request('GET', collectionPath(kind, options.namespace), { query: options.query, signal: options.signal, timeoutMs: 60_000 });
  }

  get<T extends KubeObject>(kind: ResourceKind, ref: ObjectRef, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<T> {
    return this.request('GET', objectPath(kind, ref), options);
  }

  create<T extends KubeObject>(kind: ResourceKind, obj: KubeObject, options: { fieldManager?: string; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<T> {
    return this.request('POST', collectionPath(kind, obj.metadata.namespace), {
      body: obj,
      query: { fieldManager: options.fieldManager },
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
  }

  /** PUT: fails with 409 Conflict when `obj.metadata.resourceVersion` is no longer current. */
  replace<T extends KubeObject>(
    kind: ResourceKind,
    obj: KubeObject,
    options: { fieldManager?: string; subresource?: string; signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<T> {
    const ref = { namespace: obj.metadata.namespace, name: obj.metadata.name ?? '' };
    return this.request('PUT', objectPath(kind, ref, options.subresource), {
      body: obj,
      query: { fieldManager: options.fieldManager },
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
  }

  patch<T extends KubeObject>(
    kind: ResourceKind,
    ref: ObjectRef,
    patch: unknown,
    options: { type: PatchType; fieldManager?: string; force?: boolean; subresource?: string; signal?: AbortSignal; timeoutMs?: number },
  ): Promise<T> {
    return this.request('PATCH', objectPath(kind, ref, options.subresource), {
      body: patch,
      contentType: PATCH_CONTENT_TYPE[options.type],
      query: { fieldManager: options.fieldManager, force: options.type === 'apply' ? (options.force ?? false) : undefined },
      signal: options.signal,
      timeoutMs: options.timeoutMs,
    });
  }

  delete(kind: ResourceKind, ref: ObjectRef, options: { preconditions?: { uid?: string; resourceVersion?: string }; propagationPolicy?: string; signal?: AbortSignal } = {}): Promise<unknown> {
    const body = options.preconditions || options.propagationPolicy
      ? { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: options.preconditions, propagationPolicy: options.propagationPolicy }
      : undefined;
    return this.request('DELETE', objectPath(kind, ref), { body, signal: options.signal });
  }

  close(): void {
    this.#agent?.agent.destroy();
    for (const agent of this.#retired) agent.destroy();
    this.#retired.clear();
  }
}

/** What identifies the TLS side of a connection: a change means a new agent. */
function tlsFingerprint(opts: https.RequestOptions): string {
  const hash = createHash('sha256');
  for (const part of [opts.ca, opts.cert, opts.key]) {
    for (const item of Array.isArray(part) ? part : [part]) hash.update(item === undefined ? '-' : typeof item === 'string' ? item : Buffer.isBuffer(item) ? item : JSON.stringify(item)).update('\0');
  }
  hash.update(String(opts.rejectUnauthorized)).update('\0').update(opts.servername ?? '');
  return hash.digest('hex');
}
