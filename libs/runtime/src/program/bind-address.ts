import type { AddressInfo, Server as NetServer } from 'node:net';

/** `:8081` → all interfaces; `127.0.0.1:0` → loopback on a free port; `0` → disabled. */
export interface BindAddress {
  host: string;
  port: number;
}

export function parseBindAddress(text: string): BindAddress | undefined {
  if (text === '0' || text === '') return undefined;
  const colon = text.lastIndexOf(':');
  if (colon === -1) throw new Error(`bind address "${text}": expected host:port or :port`);
  const rawHost = text.slice(0, colon);
  const port = Number(text.slice(colon + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bind address "${text}": port must be 0-65535`);
  const host = rawHost === '' ? '::' : rawHost.replace(/^\[(.*)\]$/, '$1');
  return { host, port };
}

/** Starts `server` listening on `bind`; the address it got (the port, when `bind.port` is 0), or the listen error. */
export async function listenOn(server: NetServer, bind: BindAddress): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(bind.port, bind.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}
