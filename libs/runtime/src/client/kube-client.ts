import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiError } from './api-error.ts';
import { collectionPath, objectPath, type ResourceKind } from './kinds.ts';
import type { KubeObject, ObjectList, ObjectRef } from './objects.ts';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Whole-request bound; watches use the server-side timeout and the watchdog instead. */
  timeoutMs?: number;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';
const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** Credentials and TLS settings are re-read this often so rotated tokens are picked up. */
const CREDENTIALS_TTL_MS = 60_000;

/**
 * A small REST client over node:http(s). @kubernetes/client-node supplies the kubeconfig
 * handling (TLS material, tokens, exec plugins); requests, streaming watches and error
 * decoding are ours, so the watch loop owns its timeouts and aborts.
 */
export class KubeClient {
  readonly server: URL;
  readonly #kubeConfig: KubeConfig;
  #options: Promise<https.RequestOptions> | undefined;
  #optionsAt = 0;
  #agent: http.Agent | undefined;

  constructor(kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig: no current cluster');
    this.server = new URL(cluster.server);
    this.#kubeConfig = kubeConfig;
  }

  async #requestOptions(): Promise<https.RequestOptions> {
    const now = Date.now();
    if (!this.#options || now - this.#optionsAt > CREDENTIALS_TTL_MS) {
      this.#optionsAt = now;
      this.#options = (async () => {
        const opts: https.RequestOptions = {};
        await this.#kubeConfig.applyToHTTPSOptions(opts);
        const isHttps = this.server.protocol === 'https:';
        const agentOptions = { keepAlive: true, ca: opts.ca, cert: opts.cert, key: opts.key, rejectUnauthorized: opts.rejectUnauthorized, servername: opts.servername };
        this.#agent?.destroy();
        this.#agent = isHttps ? new https.Agent(agentOptions) : new http.Agent({ keepAlive: true });
        return { headers: { ...(opts.headers ?? {}) }, auth: opts.auth, agent: this.#agent };
      })();
      this.#options.catch(() => (this.#options = undefined));
    }
    return this.#options;
  }

  async #open(method: string, path: string, options: RequestOptions): Promise<http.IncomingMessage> {
    const base = await this.#requestOptions();
    const url = new URL(path, this.server);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const headers: Record<string, string | number> = { ...(base.headers as Record<string, string>), accept: 'application/json' };
    if (payload) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = payload.length;
    }
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { method, headers, agent: base.agent, auth: base.auth ?? undefined, signal: options.signal });
      let timer: NodeJS.Timeout | undefined;
      if (options.timeoutMs) timer = setTimeout(() => req.destroy(new ApiError(0, 'Timeout', `${method} ${url.pathname}: no answer in ${options.timeoutMs} ms`)), options.timeoutMs);
      req.on('response', (res) => {
        clearTimeout(timer);
        resolve(res);
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err instanceof ApiError ? err : new ApiError(0, (err as NodeJS.ErrnoException).code ?? err.name, `${method} ${url.pathname}: ${err.message}`));
      });
      req.end(payload);
    });
  }

  /** One request; the decoded JSON body on 2xx, else an ApiError from the Status. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const { status, text } = await this.#exchange(method, path, options);
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = { message: text.slice(0, 500) };
    }
    if (status < 200 || status >= 300) throw ApiError.fromStatus(status, body);
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
    let pending = '';
    try {
      for await (const chunk of res) {
        options.onData?.();
        pending += (chunk as Buffer).toString('utf8');
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
    this.#agent?.destroy();
  }
}
