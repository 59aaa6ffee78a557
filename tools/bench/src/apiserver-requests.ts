/**
 * The API server's request counters, for the benchmarks' "API calls per claim / per Sandbox"
 * figures: `apiserver_request_total` from its /metrics, summed by verb and resource
 * (`PATCH sandboxes/status`), with 409 Conflicts counted apart; and the time it spent on them
 * (`apiserver_request_duration_seconds`), to tell the API server's share of a latency from ours.
 */
import { request, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export const WRITE_VERBS: readonly string[] = ['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE'];

/** GET `path` from the API server as the kubeconfig's user (/metrics, /debug/pprof/heap). */
export async function apiserverGet(kc: KubeConfig, path: string): Promise<Buffer> {
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const url = new URL(path, kc.getCurrentCluster()!.server);
  return new Promise<Buffer>((resolve, reject) => {
    const req = request(url, { ...opts, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`GET ${path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

const scrape = async (kc: KubeConfig) => (await apiserverGet(kc, '/metrics')).toString();

/** A Prometheus sample line's labels (`name{a="x",b="y"} 1` → { a: 'x', b: 'y' }). */
export function labelsOf(line: string): Record<string, string | undefined> {
  return Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

/** `verb resource[/subresource]` → the samples of `name` (a counter) with those labels, summed. */
function byVerbAndResource(text: string, name: string, verbs: readonly string[], conflictsApart: boolean): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labels = labelsOf(line);
    if (!verbs.includes(labels.verb!)) continue;
    const key = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}${conflictsApart && labels.code === '409' ? ' (409)' : ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

export async function apiserverRequests(kc: KubeConfig, verbs: readonly string[]): Promise<Map<string, number>> {
  return byVerbAndResource(await scrape(kc), 'apiserver_request_total', verbs, true);
}

/** Seconds spent on requests so far and how many, by key. */
export interface RequestTime {
  seconds: Map<string, number>;
  count: Map<string, number>;
}

/**
 * The API server's time on requests by verb and resource (`PATCH sandboxclaims`), and, of it,
 * the time it waited on etcd by operation and type (`etcd update sandboxclaims`).
 */
export async function apiserverRequestTime(kc: KubeConfig, verbs: readonly string[]): Promise<RequestTime> {
  const text = await scrape(kc);
  const etcd = (suffix: string) => {
    const out = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (!line.startsWith(`etcd_request_duration_seconds_${suffix}{`)) continue;
      const labels = labelsOf(line);
      const key = `etcd ${labels.operation} ${labels.resource}`;
      out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
    }
    return out;
  };
  return {
    seconds: new Map([...byVerbAndResource(text, 'apiserver_request_duration_seconds_sum', verbs, false), ...etcd('sum')]),
    count: new Map([...byVerbAndResource(text, 'apiserver_request_duration_seconds_count', verbs, false), ...etcd('count')]),
  };
}

/** Mean milliseconds per request between two readings, for the keys `keep` accepts. */
export function meanRequestMs(before: RequestTime, after: RequestTime, keep: (key: string) => boolean): Record<string, { requests: number; meanMs: number }> {
  const out: Record<string, { requests: number; meanMs: number }> = {};
  for (const [key, count] of after.count) {
    const n = count - (before.count.get(key) ?? 0);
    if (n <= 0 || !keep(key)) continue;
    const seconds = (after.seconds.get(key) ?? 0) - (before.seconds.get(key) ?? 0);
    out[key] = { requests: n, meanMs: Math.round((seconds / n) * 10_000) / 10 };
  }
  return out;
}
