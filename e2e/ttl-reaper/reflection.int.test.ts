import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX, SANDBOX_CLAIM, SANDBOX_TEMPLATE, SANDBOX_WARM_POOL } from '@agent-sandbox/api';
import { Kinds, type KubeObject } from '@agent-sandbox/runtime';
import { consistently, eventually, programSuite, type ProgramSuite } from '../support/programs.ts';

type Obj = KubeObject & { spec?: Record<string, unknown>; status?: { conditions?: Condition[]; sandbox?: { name?: string }; readyReplicas?: number } };
interface Condition {
  type: string;
  status: string;
  reason: string;
  message?: string;
}
const cond = (obj: Obj | undefined, type: string) => obj?.status?.conditions?.find((c) => c.type === type);
const at = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The whole system on deadlines: the reaper acts, and the other programs reflect what it did
 * (the claim-controller's ClaimExpired; Finished mirrored from a Pod that really finished).
 */
describe('deadlines across the programs', () => {
  let suite: ProgramSuite;
  let ns: string;
  const get = (kind: typeof SANDBOX | typeof SANDBOX_CLAIM | typeof SANDBOX_WARM_POOL, name: string) => suite.admin.get<Obj>(kind, { namespace: ns, name });
  /** true on 404, false when it is there; any other answer fails the test. */
  const gone = (kind: typeof SANDBOX | typeof SANDBOX_CLAIM, name: string) =>
    get(kind, name).then(
      () => false,
      (err: { code?: number }) => {
        if (err.code === 404) return true;
        throw err;
      },
    );
  const createClaim = (name: string, lifecycle: Record<string, unknown>) =>
    suite.admin.create<Obj>(SANDBOX_CLAIM, { apiVersion: SANDBOX_CLAIM.apiVersion, kind: 'SandboxClaim', metadata: { name, namespace: ns }, spec: { warmPoolRef: { name: 'pool' }, lifecycle } });
  const readyClaim = (name: string) => eventually(`${name} Ready`, () => get(SANDBOX_CLAIM, name), (c) => cond(c, 'Ready')?.status === 'True' && !!c.status?.sandbox?.name);

  beforeAll(async () => {
    suite = await programSuite('reflect');
    ns = suite.ns.name;
    await suite.admin.create(SANDBOX_TEMPLATE, {
      apiVersion: SANDBOX_TEMPLATE.apiVersion,
      kind: 'SandboxTemplate',
      metadata: { name: 'tpl', namespace: ns },
      spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'registry.example/runtime:1' }] } } },
    });
    await suite.admin.create(SANDBOX_WARM_POOL, {
      apiVersion: SANDBOX_WARM_POOL.apiVersion,
      kind: 'SandboxWarmPool',
      metadata: { name: 'pool', namespace: ns },
      spec: { replicas: 2, sandboxTemplateRef: { name: 'tpl' } },
    });
    await Promise.all(['sandbox-controller', 'warmpool-orchestrator', 'claim-controller', 'ttl-reaper'].map((p) => suite.start(p as never)));
    await eventually('pool ready', () => get(SANDBOX_WARM_POOL, 'pool'), (p) => p.status?.readyReplicas === 2, 60_000);
  });
  afterAll(async () => suite?.teardown());

  it('a retained claim expires: the expired-at annotation by the reaper, its Sandbox deleted, Ready=False/ClaimExpired by the claim-controller', async () => {
    const shutdownTime = at(4_000);
    await createClaim('expires', { shutdownTime, shutdownPolicy: 'Retain' });
    const bound = await readyClaim('expires');
    const sandbox = bound.status!.sandbox!.name!;
    const expired = await eventually('ClaimExpired', () => get(SANDBOX_CLAIM, 'expires'), (c) => cond(c, 'Ready')?.reason === 'ClaimExpired', 30_000);
    expect(expired.metadata.annotations?.['agents.x-k8s.io/expired-at']).toBe(shutdownTime);
    expect(cond(expired, 'Ready')).toMatchObject({ status: 'False', message: 'Claim expired. Sandbox cleanup initiated.' });
    expect(cond(expired, 'Expired')).toBeUndefined();
    await eventually(`sandbox ${sandbox} deleted`, () => gone(SANDBOX, sandbox), Boolean, 30_000);
    // Once expired, the claim is never bound again.
    await consistently('the expired claim never bound again', async () => (await get(SANDBOX_CLAIM, 'expires')).status?.sandbox?.name === sandbox && (await gone(SANDBOX, sandbox)), 1_500);
  });

  it('ttlSecondsAfterFinished counts from the Pod finishing, through Finished on the Sandbox and the claim', async () => {
    await createClaim('finishes', { ttlSecondsAfterFinished: 2, shutdownPolicy: 'Delete' });
    const bound = await readyClaim('finishes');
    const sandbox = bound.status!.sandbox!.name!;
    await consistently('the claim kept while its Pod runs', async () => !(await gone(SANDBOX_CLAIM, 'finishes')), 2_500);
    // The Pod's workload ends (as the kubelet would report it).
    await suite.admin.patch(Kinds.Pod, { namespace: ns, name: sandbox }, { status: { phase: 'Succeeded', conditions: [{ type: 'Ready', status: 'False' }] } }, { type: 'merge', subresource: 'status' });
    const finished = await eventually('claim Finished', () => get(SANDBOX_CLAIM, 'finishes'), (c) => cond(c, 'Finished')?.status === 'True', 30_000);
    expect(cond(finished, 'Finished')?.reason).toBe('PodSucceeded');
    await eventually('claim deleted 2 s after Finished', () => gone(SANDBOX_CLAIM, 'finishes'), Boolean, 30_000);
  });
});
