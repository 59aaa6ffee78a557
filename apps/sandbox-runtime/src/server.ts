import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '@agent-sandbox/telemetry';
import type { RuntimeConfig } from './config.ts';
import { CommandSlots, handleExecute, handleExecuteStream } from './exec/execute.ts';
import { AccessDenied, BadPath, decodeUrlPath } from './files/confine.ts';
import { handleDownload, handleExists, handleList } from './files/read.ts';
import { handleUpload } from './files/upload.ts';
import { HttpError, sendError, sendJson } from './http/respond.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, pathParam: string) => Promise<void>;

interface Route {
  method: 'GET' | 'POST';
  /** Exact path, or a prefix ending in `/` whose rest is the (URL-encoded) file path. */
  path: string;
  handler: Handler;
}

/**
 * The in-sandbox server of the data plane (the standard's runtime API plus [ext] streaming,
 * per-command stdin, env, cwd and timeout, and size limits). Paths come from the raw request
 * line: nothing normalizes `..` away before the confinement check sees it.
 */
export function createRuntimeServer(config: RuntimeConfig, log: Logger): { server: Server; slots: CommandSlots } {
  const slots = new CommandSlots(config.maxConcurrentCommands);
  const deps = { config, slots, log };
  const routes: Route[] = [
    { method: 'GET', path: '/', handler: async (_req, res) => sendJson(res, 200, { status: 'ok', message: 'Sandbox runtime is running' }) },
    { method: 'POST', path: '/execute', handler: (req, res) => handleExecute(req, res, deps) },
    { method: 'POST', path: '/execute/stream', handler: (req, res) => handleExecuteStream(req, res, deps) },
    { method: 'POST', path: '/upload', handler: (req, res) => handleUpload(req, res, config) },
    { method: 'GET', path: '/download/', handler: (_req, res, p) => handleDownload(res, config, p) },
    { method: 'GET', path: '/list/', handler: (_req, res, p) => handleList(res, config, p) },
    { method: 'GET', path: '/list', handler: (_req, res) => handleList(res, config, '') },
    { method: 'GET', path: '/exists/', handler: (_req, res, p) => handleExists(res, config, p) },
  ];

  const server = createServer({ requestTimeout: 0, headersTimeout: 30_000 }, (req, res) => void dispatch(req, res));
  // Refuse a declared oversized upload before the client sends it (Expect: 100-continue).
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > config.maxUploadBytes + 64 * 1024) {
      return sendJson(res, 413, { message: `request of ${declared} bytes is larger than the limit of ${config.maxUploadBytes} bytes` }, { connection: 'close' });
    }
    res.writeContinue();
    void dispatch(req, res);
  });

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = req.url ?? '/';
    const query = raw.indexOf('?');
    const path = query === -1 ? raw : raw.slice(0, query);
    const match = findRoute(routes, path);
    try {
      if (!match) throw new HttpError(404, 'Not found');
      if (match.route.method !== req.method) throw new HttpError(405, `${req.method} is not allowed on ${match.route.path}`, { allow: match.route.method });
      await match.route.handler(req, res, match.param === undefined ? '' : decodeUrlPath(match.param));
    } catch (err) {
      if (err instanceof AccessDenied) {
        log.info({ path: path.slice(0, 200), reason: err.message }, 'path refused');
        return sendError(req, res, 403, 'Access denied');
      }
      if (err instanceof BadPath) return sendError(req, res, 400, err.message);
      if (err instanceof HttpError) return sendError(req, res, err.status, err.message, err.headers);
      log.error({ err, path: path.slice(0, 200) }, 'request failed');
      sendError(req, res, 500, 'internal error');
    }
  }

  return { server, slots };
}

function findRoute(routes: Route[], path: string): { route: Route; param?: string } | undefined {
  const exact = routes.filter((r) => r.path === path);
  if (exact.length > 0) return { route: exact[0]! };
  for (const route of routes) {
    if (route.path.endsWith('/') && route.path !== '/' && path.startsWith(route.path)) return { route, param: path.slice(route.path.length) };
  }
  return undefined;
}
