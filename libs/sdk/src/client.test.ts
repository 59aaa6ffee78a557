import { expect, it } from 'vitest';
import { SandboxClient } from './client.ts';
import { KubernetesApiError } from './errors.ts';

const claims = '/apis/extensions.agents.x-k8s.io/v1beta1/namespaces/team/sandboxclaims';

/** A client whose API answers the POST with `post` (given the request's signal) and every DELETE with success; the calls it got. */
function clientWith(post: (signal?: AbortSignal) => Promise<unknown>): { client: SandboxClient; calls: string[] } {
  const calls: string[] = [];
  const client = new SandboxClient({ access: { server: 'http://127.0.0.1:1', namespace: 'team' } });
  (client as unknown as { api: unknown }).api = {
    request: (method: string, path: string, options: { signal?: AbortSignal } = {}) => {
      calls.push(`${method} ${path}`);
      return method === 'DELETE' ? Promise.resolve({}) : post(options.signal);
    },
  };
  return { client, calls };
}

it('deletes the claim when the create is aborted while its request is in flight (the API server may have made it)', async () => {
  // The POST reaches the API server, but its answer does not come back before the abort.
  const { client, calls } = clientWith((signal) => new Promise((_, reject) => signal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })), { once: true })));
  const abort = new AbortController();
  const pending = client.create({ warmPool: 'python', signal: abort.signal }).catch((e: unknown) => e);
  await new Promise((r) => setImmediate(r));
  abort.abort();
  expect(((await pending) as Error).name).toBe('AbortError');
  expect(calls).toHaveLength(2);
  expect(calls[0]).toBe(`POST ${claims}`);
  expect(calls[1]).toMatch(new RegExp(`^DELETE ${claims}/sandbox-claim-[0-9a-f]{8}$`));
});

it('deletes nothing when the API server refused the create (nothing was made; the name may be another claim\'s)', async () => {
  const { client, calls } = clientWith(() => Promise.reject(new KubernetesApiError(409, 'AlreadyExists', 'sandboxclaims "x" already exists')));
  const err = await client.create({ warmPool: 'python' }).catch((e: unknown) => e);
  expect((err as Error).name).toBe('ClaimRefusedError');
  expect(calls).toEqual([`POST ${claims}`]);
});
