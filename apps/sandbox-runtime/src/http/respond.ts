import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request refused with an HTTP status and the runtime's JSON error body `{"message": …}`. */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * Answers with an error status. When the request body has not been read, the connection is
 * closed after the answer rather than kept for a body nobody will read; the rest of the body is
 * drained for a moment first, so a client still sending sees the answer rather than a reset.
 */
export function sendError(req: IncomingMessage, res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  const bodyPending = !req.readableEnded;
  sendJson(res, status, { message }, bodyPending ? { connection: 'close', ...headers } : headers);
  if (bodyPending) {
    req.resume();
    const timer = setTimeout(() => req.socket.destroy(), 5_000);
    timer.unref();
    req.once('end', () => clearTimeout(timer));
  }
}

/** The request body as JSON, refused with 413 past `limit` bytes and 400 when it is not JSON. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new HttpError(413, `request body of ${declared} bytes is larger than the limit of ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `request body is larger than the limit of ${limit} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks, size).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}
