import { isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { isForbiddenAddress } from './address-rules.ts';

/** Where a request goes and for how long, as its X-Sandbox-* headers say. */
export interface TargetRequest {
  name: string;
  namespace: string;
  port: number;
  /** 0: the router's default. */
  timeoutMs: number;
  /** A hint only: used when it is one of the Sandbox's Pod's own addresses. */
  podIPHint?: string;
}

/** A bad X-Sandbox-* header: 400, with the header named. */
export class HeaderError extends Error {
  override name = 'HeaderError';
  readonly header: string;

  constructor(header: string, message: string) {
    super(`${header}: ${message}`);
    this.header = header;
  }
}

export const HEADER = {
  id: 'x-sandbox-id',
  namespace: 'x-sandbox-namespace',
  port: 'x-sandbox-port',
  timeout: 'x-sandbox-timeout',
  podIP: 'x-sandbox-pod-ip',
} as const;

const DISPLAY: Record<string, string> = {
  [HEADER.id]: 'X-Sandbox-ID',
  [HEADER.namespace]: 'X-Sandbox-Namespace',
  [HEADER.port]: 'X-Sandbox-Port',
  [HEADER.timeout]: 'X-Sandbox-Timeout',
  [HEADER.podIP]: 'X-Sandbox-Pod-IP',
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// Sandbox names are DNS subdomains in the API; a name the router can route is a label (it names
// a Pod and a headless Service).
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (Array.isArray(value)) throw new HeaderError(DISPLAY[name]!, 'given more than once');
  return value?.trim();
}

/** Reads and checks the X-Sandbox-* headers (the rules of the data plane's wire contract). */
export function parseTargetHeaders(headers: IncomingHttpHeaders): TargetRequest {
  const name = single(headers, HEADER.id);
  if (!name) throw new HeaderError('X-Sandbox-ID', 'required: the name of the Sandbox');
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) throw new HeaderError('X-Sandbox-ID', `"${clip(name)}" is not a valid Sandbox name (lower-case DNS name)`);

  const namespace = single(headers, HEADER.namespace) || 'default';
  if (namespace.length > 63 || !DNS_LABEL.test(namespace)) throw new HeaderError('X-Sandbox-Namespace', `"${clip(namespace)}" is not a valid namespace (a DNS label)`);

  let port = 8888;
  const rawPort = single(headers, HEADER.port);
  if (rawPort) {
    port = Number(rawPort);
    if (!/^\d+$/.test(rawPort) || port < 1 || port > 65535) throw new HeaderError('X-Sandbox-Port', `"${clip(rawPort)}" is not a port (1-65535)`);
  }

  let timeoutMs = 0;
  const rawTimeout = single(headers, HEADER.timeout);
  if (rawTimeout) {
    const seconds = Number(rawTimeout);
    if (!/^\d+(\.\d+)?$/.test(rawTimeout) || !Number.isFinite(seconds)) {
      throw new HeaderError('X-Sandbox-Timeout', `"${clip(rawTimeout)}" is not a number of seconds (0 or more)`);
    }
    timeoutMs = Math.round(seconds * 1000);
  }

  const request: TargetRequest = { name, namespace, port, timeoutMs };
  const hint = single(headers, HEADER.podIP);
  if (hint) {
    if (isIP(hint) === 0) throw new HeaderError('X-Sandbox-Pod-IP', `"${clip(hint)}" is not an IP address`);
    const forbidden = isForbiddenAddress(hint);
    if (forbidden) throw new HeaderError('X-Sandbox-Pod-IP', `${hint} is ${forbidden}: never a Pod's address`);
    request.podIPHint = hint;
  }
  return request;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
