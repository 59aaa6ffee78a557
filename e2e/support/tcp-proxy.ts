/**
 * A TCP proxy of the test's own between a program and the API server, to take the network away
 * from one process only. `stall()` stops moving bytes both ways and holds what arrives, as a
 * partition does; a connection its client closes meanwhile loses what was held (those bytes
 * never left the client's machine). `heal()` delivers what is held on connections still open
 * and resumes. `delay(ms)` adds latency to every chunk, in order.
 */
import net from 'node:net';

interface Pipe {
  client: net.Socket;
  upstream: net.Socket;
  /** Chunks held while stalled, per direction, in order. */
  held: { up: Buffer[]; down: Buffer[] };
}

export class TcpProxy {
  readonly #server: net.Server;
  readonly #target: { host: string; port: number };
  readonly #pipes = new Set<Pipe>();
  #stalled = false;
  #delayMs = 0;
  /** Bytes dropped because their connection closed while stalled. */
  droppedBytes = 0;
  connections = 0;

  private constructor(server: net.Server, target: { host: string; port: number }) {
    this.#server = server;
    this.#target = target;
  }

  static async start(target: string | URL): Promise<TcpProxy> {
    const url = new URL(target);
    const proxy: TcpProxy = new TcpProxy(net.createServer((client) => proxy.#accept(client)), { host: url.hostname, port: Number(url.port || 443) });
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** The proxy's URL with the target's scheme: put it in a kubeconfig in place of the server's. */
  url(scheme = 'https'): string {
    return `${scheme}://127.0.0.1:${this.port}`;
  }

  stall(): void {
    this.#stalled = true;
  }

  heal(): void {
    this.#stalled = false;
    for (const pipe of this.#pipes) {
      for (const chunk of pipe.held.up.splice(0)) this.#send(pipe.upstream, chunk);
      for (const chunk of pipe.held.down.splice(0)) this.#send(pipe.client, chunk);
    }
  }

  delay(ms: number): void {
    this.#delayMs = ms;
  }

  async close(): Promise<void> {
    for (const pipe of this.#pipes) {
      pipe.client.destroy();
      pipe.upstream.destroy();
    }
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    this.connections++;
    const upstream = net.connect(this.#target.port, this.#target.host);
    const pipe: Pipe = { client, upstream, held: { up: [], down: [] } };
    this.#pipes.add(pipe);
    const end = () => {
      if (!this.#pipes.delete(pipe)) return;
      for (const chunk of [...pipe.held.up, ...pipe.held.down]) this.droppedBytes += chunk.length;
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => (this.#stalled ? pipe.held.up.push(chunk) : this.#send(upstream, chunk)));
    upstream.on('data', (chunk: Buffer) => (this.#stalled ? pipe.held.down.push(chunk) : this.#send(client, chunk)));
    for (const socket of [client, upstream]) {
      socket.on('close', end);
      socket.on('error', end);
    }
  }

  #send(socket: net.Socket, chunk: Buffer): void {
    if (this.#delayMs <= 0) return void socket.write(chunk);
    // setTimeout keeps the order of chunks scheduled with the same delay.
    setTimeout(() => socket.destroyed || socket.write(chunk), this.#delayMs);
  }
}
