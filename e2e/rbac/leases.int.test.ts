/**
 * The shipped RBAC for leader election: each program may use Leases in its own namespace (get,
 * list, watch, create, update: what the elector does) and nowhere else, not kube-system's. And
 * the harness sees a 403 in a program's log however it is logged.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, Kinds, type KubeObject } from '@agent-sandbox/runtime';
import { readProgramRbac, serviceAccountKubeConfig } from '@agent-sandbox/controlplane';
import { consistently, createTestNamespace, testKubeConfig, type TestNamespace } from '@agent-sandbox/controlplane/testing';
import { programSuite, ROOT, waitUntil } from '../support/programs.ts';

const PROGRAMS = ['sandbox-controller', 'claim-controller', 'warmpool-orchestrator', 'ttl-reaper'] as const;
const ClusterRole = { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false };
const ClusterRoleBinding = { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false };

const lease = (namespace: string, name: string): KubeObject => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { namespace, name }, spec: { holderIdentity: 'x', leaseDurationSeconds: 15 } });

/** The HTTP code a call ends with (200 for success). */
const codeOf = (call: Promise<unknown>) => call.then(() => 200, (err: { code?: number }) => err.code ?? 0);

describe('leader-election RBAC, as shipped', () => {
  const kc = testKubeConfig();
  const admin = new KubeClient(kc);
  let own: TestNamespace;
  let other: TestNamespace;
  beforeAll(async () => {
    own = await createTestNamespace('rbac-own');
    other = await createTestNamespace('rbac-other');
  });
  afterAll(async () => {
    for (const program of PROGRAMS) {
      const name = `${program}-test-${own.name}`;
      await admin.delete(ClusterRoleBinding, { name }).catch(() => undefined);
      await admin.delete(ClusterRole, { name }).catch(() => undefined);
    }
    await own?.remove();
    await other?.remove();
    admin.close();
  });

  it.each(PROGRAMS)('%s: its rbac.yaml is a ClusterRole without Lease rules and a namespace-less Role for Leases', (program) => {
    const { clusterRole, role } = readProgramRbac(join(ROOT, 'apps', program, 'rbac.yaml'));
    const rules = (r: unknown) => (r as { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> }).rules;
    expect(rules(clusterRole).filter((r) => r.apiGroups.includes('coordination.k8s.io'))).toEqual([]);
    expect(role?.metadata.namespace).toBeUndefined();
    expect(rules(role)).toEqual([{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update'] }]);
  });

  it.each(PROGRAMS)('%s: uses Leases in its own namespace and in no other', async (program) => {
    const asProgram = new KubeClient(await serviceAccountKubeConfig(kc, { namespace: own.name, name: program, rbacFile: join(ROOT, 'apps', program, 'rbac.yaml'), roleName: `${program}-test-${own.name}`, fieldManager: 'e2e', tokenSeconds: 600 }));
    try {
      // Bindings take a moment to reach the authorizer.
      await waitUntil(`${program} may list its Leases`, async () => (await codeOf(asProgram.list(Kinds.Lease, { namespace: own.name }))) === 200, 20_000);
      const name = `${program}-lease`;
      expect(await codeOf(asProgram.create(Kinds.Lease, lease(own.name, name)))).toBe(200);
      const got = await asProgram.get<KubeObject>(Kinds.Lease, { namespace: own.name, name });
      expect(await codeOf(asProgram.replace(Kinds.Lease, { ...got, spec: { holderIdentity: 'y', leaseDurationSeconds: 15 } }))).toBe(200);
      expect(await codeOf(asProgram.list(Kinds.Lease, { namespace: own.name, query: { watch: false, fieldSelector: `metadata.name=${name}` } }))).toBe(200);
      expect(await codeOf(asProgram.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${own.name}/leases?watch=true&timeoutSeconds=1`))).toBe(200);
      // Never deleted by the programs: not granted.
      expect(await codeOf(asProgram.delete(Kinds.Lease, { namespace: own.name, name }))).toBe(403);

      // Anywhere else: refused, kube-system's Leases first of all.
      for (const ns of ['kube-system', other.name]) {
        expect(await codeOf(asProgram.get(Kinds.Lease, { namespace: ns, name: 'kube-scheduler' })), `get in ${ns}`).toBe(403);
        expect(await codeOf(asProgram.create(Kinds.Lease, lease(ns, `${program}-lease`))), `create in ${ns}`).toBe(403);
        expect(await codeOf(asProgram.list(Kinds.Lease, { namespace: ns })), `list in ${ns}`).toBe(403);
      }
      expect(await codeOf(asProgram.list(Kinds.Lease)), 'list across namespaces').toBe(403);
    } finally {
      asProgram.close();
    }
  });
});

describe('the program harness and 403s', () => {
  it('sees the 403s of a program whose lease is outside its namespace, and fails the suite on them', async () => {
    const suite = await programSuite('rbac-403');
    const elsewhere = await createTestNamespace('rbac-403-elsewhere');
    try {
      const reaper = await suite.start('ttl-reaper', ['--leader-elect', `--leader-election-namespace=${elsewhere.name}`, '--leader-election-retry-period=200ms']);
      await waitUntil('a 403 in the ttl-reaper\'s log', () => reaper.forbidden().length > 0, 20_000);
      // Logged as an object at warn level: the old check (the err field as text) saw nothing.
      expect(reaper.forbidden().every((l) => !String(l.err ?? '').includes('forbidden'))).toBe(true);
      expect(reaper.forbidden().some((l) => l.level === 'warn')).toBe(true);
      await consistently('it never leads', () => !reaper.lines.some((l) => l.msg === 'became leader'), 500);
    } finally {
      await expect(suite.teardown()).rejects.toThrow(/refused by RBAC \(403\)[^]*ttl-reaper: /);
      await elsewhere.remove();
    }
  });

  it('passes a program running with leader election in its own namespace', async () => {
    const suite = await programSuite('rbac-own-lease');
    const reaper = await suite.start('ttl-reaper', ['--leader-elect', '--leader-election-retry-period=200ms']);
    await waitUntil('the ttl-reaper to lead', () => reaper.lines.some((l) => l.msg === 'became leader'), 20_000);
    expect(reaper.forbidden()).toEqual([]);
    await suite.teardown();
  });
});

