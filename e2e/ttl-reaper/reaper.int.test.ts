import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX, SANDBOX_CLAIM } from '@agent-sandbox/api';
import { Kinds, type KubeObject } from '@agent-sandbox/runtime';
import { consistently, eventually, programSuite, type ProgramProcess, type ProgramSuite } from '../support/programs.ts';

type Obj = KubeObject & { spec?: Record<string, unknown>; status?: { conditions?: Condition[]; [k: string]: unknown } };
interface Condition {
  type: string;
  status: string;
  reason: string;
  message?: string;
  lastTransitionTime?: string;
}

const at = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString().replace(/\.\d{3}Z$/, 'Z');
const cond = (obj: Obj | undefined, type: string) => obj?.status?.conditions?.find((c) => c.type === type);
/** The ttl-reaper's hand-over of an expiry under Retain. */
const expiredAt = (obj: Obj | undefined) => obj?.metadata.annotations?.['agents.x-k8s.io/expired-at'];
const podSpec = { containers: [{ name: 'main', image: 'registry.example/runtime:1', ports: [{ containerPort: 8888 }] }] };

describe('ttl-reaper', () => {
  let suite: ProgramSuite;
  let reaper: ProgramProcess;
  let controller: ProgramProcess;
  let ns: string;

  const get = (kind: typeof SANDBOX | typeof SANDBOX_CLAIM | typeof Kinds.Pod | typeof Kinds.Service | typeof Kinds.PersistentVolumeClaim, name: string) =>
    suite.admin.get<Obj>(kind, { namespace: ns, name });
  /** true on 404, false when it is there; any other answer fails the test. */
  const gone = async (kind: Parameters<typeof get>[0], name: string) =>
    get(kind, name).then(
      () => false,
      (err: { code?: number }) => {
        if (err.code === 404) return true;
        throw err;
      },
    );
  const kept = (kind: Parameters<typeof get>[0], name: string) => async () => !(await gone(kind, name));
  const waitGone = (kind: Parameters<typeof get>[0], name: string, timeoutMs = 20_000) =>
    eventually(`${kind.kind} ${name} to be gone`, () => gone(kind, name), Boolean, timeoutMs);
  const createSandbox = (name: string, spec: Record<string, unknown>) =>
    suite.admin.create<Obj>(SANDBOX, { apiVersion: SANDBOX.apiVersion, kind: 'Sandbox', metadata: { name, namespace: ns }, spec: { podTemplate: { spec: podSpec }, ...spec } });
  const createClaim = (name: string, lifecycle: Record<string, unknown>) =>
    suite.admin.create<Obj>(SANDBOX_CLAIM, { apiVersion: SANDBOX_CLAIM.apiVersion, kind: 'SandboxClaim', metadata: { name, namespace: ns }, spec: { warmPoolRef: { name: 'pool' }, lifecycle } });
  /** What the claim-controller would do for a cold start: a Sandbox it controls, named in its status. */
  const bindSandbox = async (claim: Obj, sandboxName: string) => {
    await suite.admin.create<Obj>(SANDBOX, {
      apiVersion: SANDBOX.apiVersion,
      kind: 'Sandbox',
      metadata: {
        name: sandboxName,
        namespace: ns,
        ownerReferences: [{ apiVersion: SANDBOX_CLAIM.apiVersion, kind: 'SandboxClaim', name: claim.metadata.name!, uid: claim.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      spec: { podTemplate: { spec: podSpec } },
    });
    await suite.admin.patch(SANDBOX_CLAIM, { namespace: ns, name: claim.metadata.name! }, { status: { sandbox: { name: sandboxName } } }, { type: 'merge', subresource: 'status' });
  };
  const events = async (name: string) =>
    (await suite.admin.list<Obj & { reason: string; message: string; involvedObject: { name: string } }>(Kinds.Event, { namespace: ns })).items.filter(
      (e) => e.involvedObject.name === name,
    );

  beforeAll(async () => {
    suite = await programSuite('reaper');
    ns = suite.ns.name;
    controller = await suite.start('sandbox-controller');
    reaper = await suite.start('ttl-reaper');
  });
  afterAll(async () => suite?.teardown());

  it('deletes a Sandbox with shutdownPolicy Delete at its shutdownTime, not before', async () => {
    const deadline = Date.now() + 2_500;
    await createSandbox('del', { shutdownTime: at(2_500), shutdownPolicy: 'Delete' });
    await eventually('pod of del', () => get(Kinds.Pod, 'del'), (p) => !!p.metadata.uid);
    await consistently('del kept until shortly before its deadline', kept(SANDBOX, 'del'), Math.max(0, deadline - Date.now() - 1_200));
    await waitGone(SANDBOX, 'del');
    expect(Date.now()).toBeGreaterThanOrEqual(deadline - 1_000);
    // Its Pod follows through the garbage collector.
    await waitGone(Kinds.Pod, 'del', 30_000);
  });

  it('expires a retained Sandbox: the expired-at annotation, Pod and Service deleted, PVCs kept, reflected as SandboxExpired', async () => {
    const shutdownTime = at(2_000);
    await createSandbox('keep', {
      shutdownTime,
      service: true,
      volumeClaimTemplates: [{ metadata: { name: 'work' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    });
    await eventually('pod and service of keep', async () => [await get(Kinds.Pod, 'keep'), await get(Kinds.Service, 'keep')], (xs) => xs.length === 2);
    const expired = await eventually('keep expired', () => get(SANDBOX, 'keep'), (s) => expiredAt(s) !== undefined, 20_000);
    expect(expiredAt(expired)).toBe(shutdownTime);
    await waitGone(Kinds.Pod, 'keep');
    await waitGone(Kinds.Service, 'keep');
    const reflected = await eventually('keep Ready=False/SandboxExpired', () => get(SANDBOX, 'keep'), (s) => cond(s, 'Ready')?.reason === 'SandboxExpired');
    expect(cond(reflected, 'Ready')?.status).toBe('False');
    expect(cond(reflected, 'Expired')).toBeUndefined();
    expect((await get(Kinds.PersistentVolumeClaim, 'work-keep')).metadata.name).toBe('work-keep');
    // Nothing comes back: the sandbox-controller never recreates what the reaper removed.
    await consistently('no Pod of keep made again', () => gone(Kinds.Pod, 'keep'), 1_500);
    expect((await events('keep')).map((e) => e.reason)).toContain('ShutdownTimeReached');
  });

  it('follows a deadline moved earlier, later, or removed', async () => {
    // Far enough ahead that a loaded API server still takes the changes before the first deadline.
    const first = Date.now() + 8_000;
    await createSandbox('moved-earlier', { shutdownTime: at(3_600_000), shutdownPolicy: 'Delete' });
    await createSandbox('moved-later', { shutdownTime: at(first - Date.now()), shutdownPolicy: 'Delete' });
    await createSandbox('removed', { shutdownTime: at(first - Date.now()), shutdownPolicy: 'Delete' });
    const patch = (name: string, spec: unknown) => suite.admin.patch(SANDBOX, { namespace: ns, name }, { spec }, { type: 'merge' });
    await patch('moved-earlier', { shutdownTime: at(1_000) });
    await patch('moved-later', { shutdownTime: at(3_600_000) });
    await patch('removed', { shutdownTime: null });
    expect(Date.now()).toBeLessThan(first - 1_000); // (at() drops the milliseconds) else the test proves nothing: the first deadline passed before the changes
    await waitGone(SANDBOX, 'moved-earlier', 15_000);
    await consistently('moved-later and removed kept past their first deadline', async () => (await kept(SANDBOX, 'moved-later')()) && (await kept(SANDBOX, 'removed')()), Math.max(0, first + 2_000 - Date.now()));
  });

  it('deletes claims with Delete (background) and DeleteForeground', async () => {
    const bg = await createClaim('claim-bg', { shutdownTime: at(1_500), shutdownPolicy: 'Delete' });
    await bindSandbox(bg, 'claim-bg');
    const fg = await createClaim('claim-fg', { shutdownTime: at(1_500), shutdownPolicy: 'DeleteForeground' });
    await bindSandbox(fg, 'claim-fg');
    await waitGone(SANDBOX_CLAIM, 'claim-bg');
    await waitGone(SANDBOX, 'claim-bg', 30_000);
    await waitGone(SANDBOX_CLAIM, 'claim-fg', 30_000);
    await waitGone(SANDBOX, 'claim-fg', 30_000);
  });

  it('expires a retained claim and deletes the Sandbox it owns, never one it does not', async () => {
    const shutdownTime = at(2_000);
    const claim = await createClaim('claim-keep', { shutdownTime });
    await bindSandbox(claim, 'claim-keep-sb');
    const stranger = await createClaim('claim-stranger', { shutdownTime: at(2_000) });
    // The stranger names a Sandbox it does not control (owned by nobody).
    await createSandbox('not-yours', {});
    await suite.admin.patch(SANDBOX_CLAIM, { namespace: ns, name: stranger.metadata.name! }, { status: { sandbox: { name: 'not-yours' } } }, { type: 'merge', subresource: 'status' });

    const expired = await eventually('claim-keep expired', () => get(SANDBOX_CLAIM, 'claim-keep'), (c) => expiredAt(c) !== undefined, 20_000);
    expect(expiredAt(expired)).toBe(shutdownTime);
    expect(cond(expired, 'Expired')).toBeUndefined();
    await waitGone(SANDBOX, 'claim-keep-sb');
    await eventually('claim-stranger expired', () => get(SANDBOX_CLAIM, 'claim-stranger'), (c) => expiredAt(c) !== undefined, 20_000);
    await consistently('the stranger\'s Sandbox and the retained claim kept', async () => (await kept(SANDBOX, 'not-yours')()) && (await kept(SANDBOX_CLAIM, 'claim-keep')()), 1_000);
  });

  it('expires a claim ttlSecondsAfterFinished after its sandbox finished', async () => {
    const claim = await createClaim('claim-ttl', { ttlSecondsAfterFinished: 2 });
    await bindSandbox(claim, 'claim-ttl-sb');
    await consistently('claim-ttl not expired while its sandbox has not finished', async () => expiredAt(await get(SANDBOX_CLAIM, 'claim-ttl')) === undefined, 2_500);
    // The claim-controller mirrors Finished from the Sandbox; here we write it as it would.
    const finishedAt = at(0);
    await suite.admin.patch(
      SANDBOX_CLAIM,
      { namespace: ns, name: 'claim-ttl' },
      { status: { conditions: [{ type: 'Finished', status: 'True', reason: 'PodSucceeded', message: 'Pod completed successfully', lastTransitionTime: finishedAt }] } },
      { type: 'merge', subresource: 'status' },
    );
    const expired = await eventually('claim-ttl expired', () => get(SANDBOX_CLAIM, 'claim-ttl'), (c) => expiredAt(c) !== undefined, 20_000);
    // It expired two seconds after its sandbox finished, not when the reaper got to it.
    expect(expiredAt(expired)).toBe(new Date(Date.parse(finishedAt) + 2_000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    await eventually('the TTLAfterFinishedReached event', async () => (await events('claim-ttl')).map((e) => e.reason), (reasons) => reasons.includes('TTLAfterFinishedReached'), 10_000);
    await waitGone(SANDBOX, 'claim-ttl-sb');
  });

  it('acts at start on deadlines that passed while it was down, and exposes its metrics', async () => {
    expect(await reaper.stop()).toBe(0);
    await createSandbox('missed-1', { shutdownTime: at(500), shutdownPolicy: 'Delete' });
    await createSandbox('missed-2', { shutdownTime: at(200), shutdownPolicy: 'Delete' });
    await consistently('missed-1 kept while the reaper is down', kept(SANDBOX, 'missed-1'), 1_500);
    reaper = await suite.start('ttl-reaper');
    await waitGone(SANDBOX, 'missed-1');
    await waitGone(SANDBOX, 'missed-2');
    const ours = (await reaper.metrics()).split('\n').filter((l) => l.startsWith('agent_sandbox_ttl_'));
    expect(ours).toEqual(
      expect.arrayContaining([
        'agent_sandbox_ttl_actions_total{kind="Sandbox",policy="Delete"} 2',
        'agent_sandbox_ttl_deadline_lag_seconds_count{kind="Sandbox"} 2',
        expect.stringMatching(/^agent_sandbox_ttl_pending_deadlines \d+$/),
      ]),
    );
  });

  it('after a restart, finishes what an expiry left undone: the Pod and Service of a Sandbox already marked expired', async () => {
    // As if the reaper had written expired-at and died before its deletions: an expired
    // Sandbox's status no longer says whether they are gone, so a new reaper looks.
    expect(await reaper.stop()).toBe(0);
    await createSandbox('half-done', { service: true, shutdownTime: at(-60_000) });
    await eventually('pod and service of half-done', async () => [await get(Kinds.Pod, 'half-done'), await get(Kinds.Service, 'half-done')], (xs) => xs.length === 2);
    await suite.admin.patch(SANDBOX, { namespace: ns, name: 'half-done' }, { metadata: { annotations: { 'agents.x-k8s.io/expired-at': at(-60_000) } } }, { type: 'merge' });
    reaper = await suite.start('ttl-reaper');
    await waitGone(Kinds.Pod, 'half-done');
    await waitGone(Kinds.Service, 'half-done');
    expect(await gone(SANDBOX, 'half-done')).toBe(false);
  });

  it('deletes again what a sandbox-controller lagging behind the expiry made again, once that controller shows the expiry', async () => {
    await createSandbox('lagging', { service: true, shutdownTime: at(3_000) });
    await eventually('pod and service of lagging', async () => [await get(Kinds.Pod, 'lagging'), await get(Kinds.Service, 'lagging')], (xs) => xs.length === 2);
    expect(await controller.stop()).toBe(0);
    const expired = await eventually('lagging expired', () => get(SANDBOX, 'lagging'), (s) => expiredAt(s) !== undefined, 20_000);
    await waitGone(Kinds.Service, 'lagging');
    // What a sandbox-controller whose cache had not seen the annotation yet would do on seeing
    // its Service deleted: make it again.
    await suite.admin.create(Kinds.Service, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'lagging', namespace: ns, ownerReferences: [{ apiVersion: SANDBOX.apiVersion, kind: 'Sandbox', name: 'lagging', uid: expired.metadata.uid!, controller: true }] },
      spec: { clusterIP: 'None', ports: [{ name: 'http', port: 8888 }] },
    } as never);
    // The controller, back, reflects the expiry; from then on nothing makes it again, and the reaper deletes it.
    controller = await suite.start('sandbox-controller');
    await eventually('lagging Ready=False/SandboxExpired', () => get(SANDBOX, 'lagging'), (s) => cond(s, 'Ready')?.reason === 'SandboxExpired');
    await waitGone(Kinds.Service, 'lagging');
  });

  it('with two replicas and leader election, only the leader acts', async () => {
    expect(await reaper.stop()).toBe(0);
    const args = ['--leader-elect', '--leader-election-id=ttl-reaper-test'];
    const a = await suite.start('ttl-reaper', args);
    const b = await suite.start('ttl-reaper', args);
    await createSandbox('le-1', { shutdownTime: at(1_500), shutdownPolicy: 'Delete' });
    await waitGone(SANDBOX, 'le-1');
    const acted = (p: ProgramProcess) => p.lines.filter((l) => l.msg === 'deleted the Sandbox at its shutdownTime').length;
    // The log line follows the delete's answer through a pipe: wait for it, then make sure no
    // second replica acts as well.
    await eventually('the acting replica to log it', async () => acted(a) + acted(b), (n) => n >= 1, 5_000);
    await consistently('no second replica acts', () => acted(a) + acted(b) === 1, 500);
    const [leader, standby] = acted(a) === 1 ? [a, b] : [b, a];

    expect(await leader.stop()).toBe(0);
    await createSandbox('le-2', { shutdownTime: at(1_000), shutdownPolicy: 'Delete' });
    await waitGone(SANDBOX, 'le-2', 15_000);
    await eventually('the standby to log it', async () => acted(standby), (n) => n === 1, 5_000);
  });
});
