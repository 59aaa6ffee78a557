/**
 * A SandboxClaim's whole status, as a strict client compares it: the answers the standard
 * writes (pool not found, volume claim templates it cannot make), the Sandbox's Ready forwarded,
 * Finished mirrored from a Pod that really ends, and expiry: through ttlSecondsAfterFinished, of
 * the Sandbox on its own, and of a claim expired by an earlier ttl-reaper (migrated). The four
 * programs run as processes, each with exactly its RBAC.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX, SANDBOX_CLAIM, SANDBOX_TEMPLATE, SANDBOX_WARM_POOL } from '@agent-sandbox/api';
import { POD_EXIT_CODE_ANNOTATION } from '@agent-sandbox/controlplane';
import { Kinds, type ResourceKind } from '@agent-sandbox/runtime';
import { eventually, programSuite, type ProgramProcess, type ProgramSuite } from '../support/programs.ts';
import { condition, podIPsOf, sorted, statusStays, waitForStatus, type Obj } from './support.ts';

const at = (ms: number) => new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const pvc = (name: string) => ({ metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });

describe('a SandboxClaim\'s status is the standard\'s, whole', () => {
  let suite: ProgramSuite;
  let ns: string;
  let programs: ProgramProcess[];

  const get = (kind: ResourceKind, name: string) => suite.admin.get<Obj>(kind, { namespace: ns, name });
  const claimOf = (name: string) => get(SANDBOX_CLAIM, name);
  const gone = (kind: ResourceKind, name: string) => get(kind, name).then(() => false, (err: { code?: number }) => err.code === 404);
  const createClaim = (name: string, spec: Record<string, unknown> = {}) =>
    suite.admin.create<Obj>(SANDBOX_CLAIM, { apiVersion: SANDBOX_CLAIM.apiVersion, kind: 'SandboxClaim', metadata: { name, namespace: ns }, spec: { warmPoolRef: { name: 'pool' }, ...spec } });

  /** Waits until the claim is bound and Ready, with the status forwarded from its Sandbox; its Sandbox's name. */
  async function readyClaim(name: string): Promise<string> {
    const bound = await waitForStatus(`${name} Ready`, () => claimOf(name), async (c) => {
      const sandbox = c.status?.sandbox?.name as string;
      const pod = await get(Kinds.Pod, sandbox);
      return { sandbox: { name: sandbox, podIPs: podIPsOf(pod) }, conditions: [condition('Ready', 'True', 'DependenciesReady', 'Pod is Ready')] };
    }, 60_000);
    return bound.status.sandbox.name as string;
  }
  /** Ends the Pod of `sandbox` as a container exiting with 0 would (kwok's pod-exit stage). */
  const exitPod = (sandbox: string) => suite.admin.patch(Kinds.Pod, { namespace: ns, name: sandbox }, { metadata: { annotations: { [POD_EXIT_CODE_ANNOTATION]: '0' } } }, { type: 'merge' });

  beforeAll(async () => {
    suite = await programSuite('std-claim');
    ns = suite.ns.name;
    await suite.admin.create(SANDBOX_TEMPLATE, {
      apiVersion: SANDBOX_TEMPLATE.apiVersion,
      kind: 'SandboxTemplate',
      metadata: { name: 'tpl', namespace: ns },
      spec: { volumeClaimTemplatesPolicy: 'Allowed', podTemplate: { spec: { containers: [{ name: 'main', image: 'registry.example/runtime:1' }] } } },
    } as never);
    await suite.admin.create(SANDBOX_WARM_POOL, {
      apiVersion: SANDBOX_WARM_POOL.apiVersion,
      kind: 'SandboxWarmPool',
      metadata: { name: 'pool', namespace: ns },
      spec: { replicas: 2, sandboxTemplateRef: { name: 'tpl' } },
    } as never);
    programs = await Promise.all(['sandbox-controller', 'warmpool-orchestrator', 'claim-controller', 'ttl-reaper'].map((p) => suite.start(p as never)));
    await eventually('pool ready', () => get(SANDBOX_WARM_POOL, 'pool'), (p) => p.status?.readyReplicas === 2, 60_000);
  });
  afterAll(async () => suite?.teardown());

  it('a volume claim template with an empty or a repeated name is stored, and answered with VolumeClaimTemplatesError', async () => {
    await createClaim('empty-vct', { volumeClaimTemplates: [pvc('')] });
    await createClaim('twice-vct', { volumeClaimTemplates: [pvc('data'), pvc('data')] });
    const empty = { conditions: [condition('Ready', 'False', 'VolumeClaimTemplatesError', 'spec.volumeClaimTemplates[0].metadata.name must not be empty')] };
    const twice = {
      conditions: [condition('Ready', 'False', 'VolumeClaimTemplatesError', 'spec.volumeClaimTemplates[1].metadata.name "data" repeats spec.volumeClaimTemplates[0]; each name makes one PersistentVolumeClaim')],
    };
    await waitForStatus('empty-vct answered', () => claimOf('empty-vct'), () => empty);
    await waitForStatus('twice-vct answered', () => claimOf('twice-vct'), () => twice);
    // Final: nothing is made, the answer stays.
    await statusStays('empty-vct answered', () => claimOf('empty-vct'), empty);
    expect(await gone(SANDBOX, 'empty-vct')).toBe(true);
    expect(await gone(SANDBOX, 'twice-vct')).toBe(true);
  });

  it('a pool that does not exist, even one with an empty name: WarmPoolNotFound with the standard\'s message', async () => {
    await createClaim('lost', { warmPoolRef: { name: 'nope' } });
    await createClaim('nameless', { warmPoolRef: { name: '' } });
    await waitForStatus('lost', () => claimOf('lost'), () => ({ conditions: [condition('Ready', 'False', 'WarmPoolNotFound', 'SandboxWarmPool "nope" not found')] }));
    await waitForStatus('nameless', () => claimOf('nameless'), () => ({ conditions: [condition('Ready', 'False', 'WarmPoolNotFound', 'SandboxWarmPool "" not found')] }));
  });

  it('Finished mirrored from a Pod that really ends, and ttlSecondsAfterFinished counted from it (Delete)', async () => {
    await createClaim('finishes', { lifecycle: { ttlSecondsAfterFinished: 2, shutdownPolicy: 'Delete' } });
    const sandbox = await readyClaim('finishes');
    await exitPod(sandbox);
    const finished = await waitForStatus('finishes Finished', () => claimOf('finishes'), async () => ({
      sandbox: { name: sandbox, podIPs: podIPsOf(await get(Kinds.Pod, sandbox)) },
      conditions: sorted([condition('Finished', 'True', 'PodSucceeded', 'Pod completed successfully'), condition('Ready', 'False', 'PodSucceeded', 'Pod completed successfully')]),
    }));
    const finishedAt = Date.parse(finished.status.conditions.find((c: { type: string }) => c.type === 'Finished').lastTransitionTime);
    await eventually('finishes deleted', () => gone(SANDBOX_CLAIM, 'finishes'), Boolean, 30_000);
    expect(Date.now()).toBeGreaterThanOrEqual(finishedAt + 2_000);
    await eventually(`its Sandbox ${sandbox} deleted`, () => gone(SANDBOX, sandbox), Boolean, 30_000);
  });

  it('a retained claim expires through Finished: ClaimExpired, its Sandbox deleted, Finished kept', async () => {
    await createClaim('expires', { lifecycle: { ttlSecondsAfterFinished: 1 } });
    const sandbox = await readyClaim('expires');
    await exitPod(sandbox);
    const final = {
      sandbox: { name: sandbox },
      conditions: sorted([condition('Finished', 'True', 'PodSucceeded', 'Pod completed successfully'), condition('Ready', 'False', 'ClaimExpired', 'Claim expired. Sandbox cleanup initiated.')]),
    };
    const expired = await waitForStatus('expires expired', () => claimOf('expires'), () => final, 30_000);
    expect(expired.metadata.annotations?.['agents.x-k8s.io/expired-at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(await gone(SANDBOX, sandbox)).toBe(true);
    await statusStays('expires expired', () => claimOf('expires'), final);
  });

  it('a claim whose Sandbox expires on its own: SandboxExpired with the standard\'s message', async () => {
    await createClaim('outlived');
    const sandbox = await readyClaim('outlived');
    await suite.admin.patch(SANDBOX, { namespace: ns, name: sandbox }, { spec: { shutdownTime: at(1_000) } }, { type: 'merge' });
    const final = { sandbox: { name: sandbox }, conditions: [condition('Ready', 'False', 'SandboxExpired', 'Underlying Sandbox resource has expired independently of the Claim.')] };
    await waitForStatus('outlived', () => claimOf('outlived'), () => final, 30_000);
    await statusStays('outlived', () => claimOf('outlived'), final);
  });

  it('migrates a claim expired by an earlier ttl-reaper: the legacy Expired condition becomes the annotation, then leaves the status', async () => {
    await createClaim('legacy');
    const sandbox = await readyClaim('legacy');
    const expiredAt = '2026-01-01T00:00:00Z';
    await suite.admin.patch(SANDBOX_CLAIM, { namespace: ns, name: 'legacy' }, [
      { op: 'add', path: '/status/conditions/-', value: { type: 'Expired', status: 'True', reason: 'ShutdownTimeReached', message: 'shutdownTime reached', lastTransitionTime: expiredAt } },
    ], { type: 'json', subresource: 'status' });
    const final = { sandbox: { name: sandbox }, conditions: [condition('Ready', 'False', 'ClaimExpired', 'Claim expired. Sandbox cleanup initiated.')] };
    const migrated = await waitForStatus('legacy migrated', () => claimOf('legacy'), () => final, 30_000);
    expect(migrated.metadata.annotations?.['agents.x-k8s.io/expired-at']).toBe(expiredAt);
    expect(await gone(SANDBOX, sandbox)).toBe(true);
    await statusStays('legacy migrated', () => claimOf('legacy'), final);
  });

  it('ran with exactly their RBAC: nothing refused', () => {
    for (const p of programs) expect(p.lines.filter((l) => JSON.stringify(l).includes('forbidden')), p.program).toEqual([]);
  });
});
