import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus proxy credentials. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * The headers to send on: without hop-by-hop headers (and any header the Connection header
 * names), without the router's own X-Sandbox-* headers, and without the caller's credentials
 * when the router consumed them: a Sandbox runs untrusted code and must never see a user's token.
 */
export function forwardHeaders(headers: IncomingHttpHeaders, options: { dropAuthorization: boolean; keepUpgrade?: boolean }): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (lower.startsWith('x-sandbox-')) continue;
    if (options.dropAuthorization && lower === 'authorization') continue;
    if (options.keepUpgrade && (lower === 'upgrade' || lower === 'connection')) {
      out[lower] = value;
      continue;
    }
    if (HOP_BY_HOP.has(lower) || named.has(lower)) continue;
    out[lower] = value;
  }
  return out as OutgoingHttpHeaders;
}

/** A response's headers on their way back: hop-by-hop ones removed. */
export function responseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  return forwardHeaders(headers, { dropAuthorization: false });
}

/** Appends the client to X-Forwarded-For and sets X-Forwarded-Proto / -Host. */
export function addForwarded(out: OutgoingHttpHeaders, incoming: IncomingHttpHeaders, clientAddress: string | undefined): void {
  const prior = incoming['x-forwarded-for'];
  const chain = [Array.isArray(prior) ? prior.join(', ') : prior, clientAddress].filter(Boolean).join(', ');
  if (chain) out['x-forwarded-for'] = chain;
  out['x-forwarded-proto'] ??= 'http';
  if (incoming.host) out['x-forwarded-host'] ??= incoming.host;
}
