/**
 * A test upstream beside the runtime: it echoes what reaches it (headers, streamed bodies,
 * WebSocket bytes), so a suite can see exactly what the router forwards.
 */
import { createHash } from 'node:crypto';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface EchoUpstream {
  server: Server;
  port: number;
  /** Headers of every WebSocket upgrade that reached it. */
  upgrades: IncomingHttpHeaders[];
  close(): Promise<void>;
}

export async function startEchoUpstream(host: string): Promise<EchoUpstream> {
  const upgrades: IncomingHttpHeaders[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    if (req.url === '/first-byte') {
      // Answers as soon as the first piece of the body arrives: proof that the router passed
      // it on before the client finished sending.
      req.once('data', () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('got the first chunk\n');
      });
      req.on('end', () => res.end('done\n'));
      return;
    }
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'echo', connection: 'keep-alive', 'keep-alive': 'timeout=5' });
      res.end(body);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    upgrades.push(req.headers);
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    if (head.length) socket.write(head);
    socket.pipe(socket); // echo every byte back
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    upgrades,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type TunnelResult = { kind: 'open'; socket: Socket; headers: IncomingHttpHeaders } | { kind: 'refused'; status: number; body: string; headers: IncomingHttpHeaders };

/** Asks `url` to upgrade to a WebSocket with `headers` added; the raw socket once switched. */
export function openTunnel(url: string, headers: Record<string, string>): Promise<TunnelResult> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({
      host: u.hostname,
      port: u.port,
      path: '/ws',
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
    });
    req.on('upgrade', (res, socket: Socket) => {
      // A write racing the router's close is expected in the limit tests: the 'close' event tells.
      socket.on('error', () => undefined);
      resolve({ kind: 'open', socket, headers: res.headers });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ kind: 'refused', status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends `text` through an open tunnel and resolves with what comes back (the echo). */
export function roundTrip(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (c: Buffer) => {
      got += c.toString();
      if (got.length >= text.length) {
        socket.off('data', onData);
        resolve(got);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(text);
  });
}
