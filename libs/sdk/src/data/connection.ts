import { RouterError, RuntimeError, SandboxError, SandboxGoneError } from '../errors.ts';

/**
 * How requests reach a sandbox's runtime:
 * - `router`: through the sandbox-router (or a gateway in front of it) at `url`; the sandbox is
 *   named in X-Sandbox-* headers and the caller's bearer token goes along (production).
 * - `direct`: straight to the Pod's IP (from inside the cluster, where Pod IPs are routable).
 * A port-forward tunnel to the router's Service (for development) is not implemented yet.
 */
export type Connection =
  | {
      mode: 'router';
      url: string;
      /** Bearer token for the router; default: the kubeconfig's token. */
      token?: string | (() => Promise<string | undefined>);
      /** The runtime's port in the sandbox (X-Sandbox-Port; default 8888). */
      port?: number;
    }
  | { mode: 'direct'; /** The runtime's port in the Pod (default 8888). */ port?: number };

/** Where one sandbox is, as its claim reported it. */
export interface SandboxAddress {
  namespace: string;
  sandboxName: string;
  podIPs: string[];
}

export interface CallOptions {
  method?: string;
  body?: string | FormData | Blob | Uint8Array | ReadableStream<Uint8Array>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Seconds the router gives the sandbox to answer (X-Sandbox-Timeout). */
  routerTimeoutSeconds?: number;
}

/** Sends runtime API requests to one sandbox over its connection and turns error answers into typed errors. */
export class SandboxTransport {
  readonly #connection: Connection;
  readonly #address: SandboxAddress;
  readonly #defaultToken: () => Promise<string | undefined>;

  constructor(connection: Connection, address: SandboxAddress, defaultToken: () => Promise<string | undefined>) {
    this.#connection = connection;
    this.#address = address;
    this.#defaultToken = defaultToken;
  }

  async call(path: string, options: CallOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    let url: string;
    if (this.#connection.mode === 'router') {
      url = this.#connection.url.replace(/\/+$/, '') + path;
      headers['x-sandbox-id'] = this.#address.sandboxName;
      headers['x-sandbox-namespace'] = this.#address.namespace;
      headers['x-sandbox-port'] = String(this.#connection.port ?? 8888);
      if (options.routerTimeoutSeconds !== undefined) headers['x-sandbox-timeout'] = String(options.routerTimeoutSeconds);
      const given = this.#connection.token;
      const token = typeof given === 'function' ? await given() : given ?? (await this.#defaultToken());
      if (token) headers.authorization = `Bearer ${token}`;
    } else {
      const ip = this.#address.podIPs[0];
      if (!ip) throw new SandboxError(`sandbox ${this.#address.namespace}/${this.#address.sandboxName} has no Pod IP to connect to`);
      const host = ip.includes(':') ? `[${ip}]` : ip;
      url = `http://${host}:${this.#connection.port ?? 8888}${path}`;
    }
    const res = await fetch(url, { method: options.method ?? 'GET', headers, body: options.body, signal: options.signal, ...(options.body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);
    if (res.ok) return res;
    throw await errorOf(res, this.#address);
  }
}

/** The router answers `{"detail"}`, the runtime `{"message"}`: which one failed decides the error. */
async function errorOf(res: Response, address: SandboxAddress): Promise<Error> {
  const text = await res.text();
  let body: { detail?: unknown; message?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // not JSON
  }
  if (typeof body.detail === 'string') {
    if (res.status === 404) return new SandboxGoneError(`sandbox ${address.namespace}/${address.sandboxName} is gone: ${body.detail}`);
    const retry = Number(res.headers.get('retry-after'));
    return new RouterError(res.status, body.detail, Number.isFinite(retry) && retry > 0 ? retry : undefined);
  }
  return new RuntimeError(res.status, typeof body.message === 'string' ? body.message : text.slice(0, 300) || res.statusText);
}
