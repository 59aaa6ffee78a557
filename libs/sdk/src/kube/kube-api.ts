import http from 'node:http';
import https from 'node:https';
import { KubernetesApiError } from '../errors.ts';
import type { ClusterAccess } from './kubeconfig.ts';

export interface KubeStatus {
  code?: number;
  reason?: string;
  message?: string;
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** The few REST calls the SDK makes to the API server, over node:http(s) with the cluster's TLS material. */
export class KubeApi {
  readonly access: ClusterAccess;
  readonly #agent: http.Agent;
  readonly #server: URL;

  constructor(access: ClusterAccess) {
    this.access = access;
    this.#server = new URL(access.server);
    this.#agent =
      this.#server.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, ca: buf(access.ca), cert: buf(access.cert), key: buf(access.key), rejectUnauthorized: !access.insecureSkipTlsVerify, servername: access.servername })
        : new http.Agent({ keepAlive: true });
  }

  async #open(method: string, path: string, options: { body?: unknown; signal?: AbortSignal; contentType?: string }): Promise<http.IncomingMessage> {
    const url = new URL(path, this.#server);
    const headers: Record<string, string | number> = { accept: 'application/json', 'user-agent': 'agent-sandbox-typescript-sdk' };
    const token = await this.access.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    else if (this.access.basicAuth) headers.authorization = `Basic ${Buffer.from(this.access.basicAuth).toString('base64')}`;
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    if (payload) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = payload.length;
    }
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, { method, headers, agent: this.#agent, signal: options.signal });
      req.on('response', resolve);
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** One call; the decoded body on 2xx, else a KubernetesApiError carrying the Status. */
  async request<T>(method: string, path: string, options: { body?: unknown; signal?: AbortSignal; contentType?: string } = {}): Promise<T> {
    const res = await this.#open(method, path, options);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = { message: text.slice(0, 500) };
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const s = (body ?? {}) as KubeStatus;
      throw new KubernetesApiError(s.code ?? status, s.reason ?? 'Unknown', s.message ?? `HTTP ${status}`);
    }
    return body as T;
  }

  /** A watch: decoded events as they arrive, until the server ends it or `signal` aborts. */
  async *watch<T>(path: string, signal?: AbortSignal): AsyncGenerator<WatchEvent<T>> {
    const res = await this.#open('GET', path, { signal });
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      let s: KubeStatus = {};
      try {
        s = JSON.parse(Buffer.concat(chunks).toString('utf8')) as KubeStatus;
      } catch {
        // not JSON
      }
      throw new KubernetesApiError(s.code ?? status, s.reason ?? 'Unknown', s.message ?? `HTTP ${status}`);
    }
    const onAbort = () => res.destroy();
    signal?.addEventListener('abort', onAbort, { once: true });
    let pending = '';
    try {
      for await (const chunk of res) {
        pending += (chunk as Buffer).toString('utf8');
        let nl: number;
        while ((nl = pending.indexOf('\n')) !== -1) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (line) yield JSON.parse(line) as WatchEvent<T>;
        }
      }
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      res.destroy();
    }
  }

  /** The bearer token this configuration authenticates with, if it uses one (the router takes the same). */
  async bearerToken(): Promise<string | undefined> {
    return this.access.token?.();
  }

  close(): void {
    this.#agent.destroy();
  }
}

const buf = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes) : undefined);
