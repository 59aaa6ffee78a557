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
