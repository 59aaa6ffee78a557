import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenOn, type BindAddress } from './bind-address.ts';

/** A named readiness check; `/readyz` answers 200 only when every check passes. */
export type ReadinessCheck = () => boolean;

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * `/healthz` (the process is alive and serving), `/readyz` (every registered check passes,
 * with `?verbose` listing them) and any extra routes a program mounts (such as `/metrics`).
 */
export class HealthServer {
  readonly #checks = new Map<string, ReadinessCheck>();
  readonly #routes = new Map<string, RouteHandler>();
  #server: Server | undefined;

  addReadinessCheck(name: string, check: ReadinessCheck): void {
    this.#checks.set(name, check);
  }

  route(path: string, handler: RouteHandler): void {
    this.#routes.set(path, handler);
  }

  isReady(): boolean {
    for (const check of this.#checks.values()) if (!check()) return false;
    return true;
  }

  async listen(bind: BindAddress): Promise<AddressInfo> {
    const server = createServer((req, res) => void this.#handle(req, res));
    server.keepAliveTimeout = 5_000;
    this.#server = server;
    return listenOn(server, bind);
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    try {
      if (url.pathname === '/healthz' || url.pathname === '/livez') return reply(res, 200, 'ok\n');
      if (url.pathname === '/readyz') {
        const results = [...this.#checks].map(([name, check]) => [name, safe(check)] as const);
        const ready = results.every(([, ok]) => ok);
        const body = url.searchParams.has('verbose')
          ? results.map(([name, ok]) => `[${ok ? '+' : '-'}]${name} ${ok ? 'ok' : 'failed'}`).join('\n') + '\n'
          : ready
            ? 'ok\n'
            : 'not ready\n';
        return reply(res, ready ? 200 : 503, body);
      }
      const handler = this.#routes.get(url.pathname);
      if (handler) return await handler(req, res);
      reply(res, 404, 'not found\n');
    } catch (err) {
      reply(res, 500, `${(err as Error).message}\n`);
    }
  }
}

function safe(check: ReadinessCheck): boolean {
  try {
    return check();
  } catch {
    return false;
  }
}

function reply(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
