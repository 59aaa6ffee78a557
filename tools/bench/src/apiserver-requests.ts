/**
 * The API server's request counters, for the benchmarks' "API calls per claim / per Sandbox"
 * figures: `apiserver_request_total` from its /metrics, summed by verb and resource
 * (`PATCH sandboxes/status`), with 409 Conflicts counted apart.
 */
import { request, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export const WRITE_VERBS: readonly string[] = ['POST', 'PUT', 'PATCH', 'APPLY', 'DELETE'];

export async function apiserverRequests(kc: KubeConfig, verbs: readonly string[]): Promise<Map<string, number>> {
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const url = new URL('/metrics', kc.getCurrentCluster()!.server);
  const text = await new Promise<string>((resolve, reject) => {
    const req = request(url, { ...opts, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!verbs.includes(labels.verb!)) continue;
    const key = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}${labels.code === '409' ? ' (409)' : ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}
