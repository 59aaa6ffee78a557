import { expect, it } from 'vitest';
import { SandboxClient } from './client.ts';

it('deletes the claim when the create is aborted while its request is in flight (the API server may have made it)', async () => {
  const calls: string[] = [];
  const client = new SandboxClient({ access: { server: 'http://127.0.0.1:1', namespace: 'team' } });
  // The POST reaches the API server, but its answer does not come back before the abort.
  (client as unknown as { api: unknown }).api = {
    request: (method: string, path: string, options: { signal?: AbortSignal } = {}) => {
      calls.push(`${method} ${path}`);
      if (method === 'DELETE') return Promise.resolve({});
      return new Promise((_, reject) => options.signal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })), { once: true }));
    },
  };
  const abort = new AbortController();
  const pending = client.create({ warmPool: 'python', signal: abort.signal }).catch((e: unknown) => e);
  await new Promise((r) => setImmediate(r));
  abort.abort();
  expect(((await pending) as Error).name).toBe('AbortError');
  const claims = '/apis/extensions.agents.x-k8s.io/v1beta1/namespaces/team/sandboxclaims';
  expect(calls).toHaveLength(2);
  expect(calls[0]).toBe(`POST ${claims}`);
  expect(calls[1]).toMatch(new RegExp(`^DELETE ${claims}/sandbox-claim-[0-9a-f]{8}$`));
});
