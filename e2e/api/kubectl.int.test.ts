/** What a user sees with kubectl: scale, printer columns, explain, apply of the examples. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeObject } from '@agent-sandbox/api';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { apiSuite, FIELD_MANAGER, kubectl, sandbox, warmPool, type ApiSuite } from './support.ts';

const EXAMPLES = fileURLToPath(new URL('../../deploy/examples/', import.meta.url));
const write = { fieldManager: FIELD_MANAGER };

let suite: ApiSuite;
let ns: string;
const k = (...args: string[]) => kubectl(inject('kubeconfig'), ...args);

beforeAll(async () => {
  suite = await apiSuite('api-kubectl');
  ns = suite.ns.name;
});
afterAll(async () => {
  await suite?.ns.remove();
});

describe('kubectl', () => {
  it('scales a warm pool through the scale subresource', async () => {
    await suite.clients.warmPools.create(warmPool(ns, 'pool'), write);
    await k('scale', '-n', ns, 'swp/pool', '--replicas=5');
    expect((await suite.clients.warmPools.get(ns, 'pool')).spec.replicas).toBe(5);
  });

  it('shows the printer columns', async () => {
    const s = sandbox(ns, 'shown');
    s.metadata.annotations = { 'agents.x-k8s.io/pod-name': 'shown-pod' };
    await suite.clients.sandboxes.create(s, write);
    await suite.clients.sandboxes.mergePatchStatus(
      ns,
      'shown',
      {
        status: {
          nodeName: 'kwok-node-0',
          conditions: [{ type: 'Ready', status: 'False', reason: 'DependenciesNotReady', message: 'Pod does not exist', lastTransitionTime: '2026-01-01T00:00:00Z' }],
        },
      },
      write,
    );
    const lines = (await k('get', '-n', ns, 'sandbox', 'shown', '-o', 'wide')).trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(lines[0]).toEqual(['NAME', 'READY', 'REASON', 'AGE', 'POD', 'NODE']);
    expect(lines[1]).toEqual(['shown', 'False', 'DependenciesNotReady', expect.any(String), 'shown-pod', 'kwok-node-0']);
    const narrow = (await k('get', '-n', ns, 'sandboxes')).split('\n')[0]!.trim().split(/\s+/);
    expect(narrow).toEqual(['NAME', 'READY', 'REASON', 'AGE']);

    const pools = (await k('get', '-n', ns, 'swp')).trim().split('\n').map((l) => l.trim().split(/\s+/));
    expect(pools[0]).toEqual(['NAME', 'READY', 'DESIRED', 'AGE']);
    expect(pools[1]!.slice(0, 1)).toEqual(['pool']);
    expect((await k('get', '-n', ns, 'sandboxclaim')).trim()).toBe('');
    // All four kinds share the category agent-sandbox.
    const everything = await k('get', '-n', ns, 'agent-sandbox', '-o', 'name');
    expect(everything).toContain('sandbox.agents.x-k8s.io/shown');
    expect(everything).toContain('sandboxwarmpool.extensions.agents.x-k8s.io/pool');
  });

  it('explains fields with their descriptions, ours and the embedded PodSpec\'s', async () => {
    const explained = await k('explain', 'sandbox.spec.shutdownPolicy');
    expect(explained).toMatch(/Delete also deletes the\s+Sandbox/);
    expect(explained).toContain('Retain');
    expect(await k('explain', 'swp.spec.replicas')).toContain('Warm (unclaimed) sandboxes to keep');
    expect(await k('explain', 'sandboxtemplate.spec.podTemplate.spec.runtimeClassName')).toContain('RuntimeClass');
  });

  it('applies the example manifests server-side', async () => {
    const out = await k('apply', '--server-side', '--field-manager', 'examples', '-n', ns, '-f', EXAMPLES);
    expect(out).toContain('sandboxtemplate.extensions.agents.x-k8s.io/python-runtime serverside-applied');
    expect((await suite.clients.templates.get(ns, 'python-runtime')).spec.podTemplate.spec.runtimeClassName).toBe('gvisor');
  });
});

describe('example manifests', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml'));

  it('cover every kind', () => {
    const kinds = new Set(files.flatMap((f) => parseAllDocuments(readFileSync(join(EXAMPLES, f), 'utf8')).map((d) => (d.toJS() as { kind: string }).kind)));
    expect([...kinds].sort()).toEqual(['Sandbox', 'SandboxClaim', 'SandboxTemplate', 'SandboxWarmPool']);
  });

  it('apply cleanly with the typed client (strict: no unknown or misspelt field is dropped)', async () => {
    const clients = {
      Sandbox: suite.clients.sandboxes,
      SandboxTemplate: suite.clients.templates,
      SandboxClaim: suite.clients.claims,
      SandboxWarmPool: suite.clients.warmPools,
    } as const;
    const exampleNs = `${ns}-ex`;
    await k('create', 'namespace', exampleNs);
    try {
      for (const file of files) {
        for (const doc of parseAllDocuments(readFileSync(join(EXAMPLES, file), 'utf8'))) {
          const obj = doc.toJS() as KubeObject & { kind: keyof typeof clients };
          const client = clients[obj.kind];
          const applied = await client.apply({ ...obj, metadata: { ...obj.metadata, name: obj.metadata.name!, namespace: exampleNs } } as never, {
            fieldManager: 'examples',
            fieldValidation: 'Strict',
            force: true,
          });
          expect(applied.metadata.uid, file).toBeTruthy();
        }
      }
      // Strict field validation (as kubectl uses) refuses a misspelt field anywhere in the examples.
      const dry = await k('apply', '--server-side', '--dry-run=server', '--validate=strict', '-n', exampleNs, '-f', EXAMPLES);
      expect(dry).toContain('(server dry run)');
    } finally {
      await k('delete', 'namespace', exampleNs, '--wait=false');
    }
  });
});
