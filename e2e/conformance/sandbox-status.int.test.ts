/**
 * A Sandbox's whole status, as a strict client compares it, through its life: plain and with a
 * Service, suspended and resumed (past a terminating Pod and a Pod of its name it does not own),
 * finished by a Pod that really ends, expired under Retain (and the migration of the legacy
 * Expired condition), and its immutable volumeClaimTemplates. The sandbox-controller and the
 * ttl-reaper run as processes, each with exactly its RBAC.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX } from '@agent-sandbox/api';
import { POD_EXIT_CODE_ANNOTATION, POD_EXIT_DELAY_ANNOTATION } from '@agent-sandbox/controlplane';
import { ApiError, Kinds, type ResourceKind } from '@agent-sandbox/runtime';
import { eventually, programSuite, type ProgramProcess, type ProgramSuite } from '../support/programs.ts';
import { condition, nameHashLabel, podIPsOf, recordVersions, sorted, statusStays, strict, waitForStatus, type Obj } from './support.ts';

const StorageClass: ResourceKind = { group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass', plural: 'storageclasses', namespaced: false };
const container = { name: 'main', image: 'registry.example/runtime:1', ports: [{ containerPort: 8888, name: 'http' }] };
/** RFC 3339 to the second, `ms` from now. */
const at = (ms: number) => new Date(Date.now() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const notSuspended = (generation = 1) => condition('Suspended', 'False', 'NotSuspended', 'Sandbox is not suspended', generation);

describe('a Sandbox\'s status is the standard\'s, whole', () => {
  let suite: ProgramSuite;
  let ns: string;
  let programs: ProgramProcess[];
  let storageClass: string;

  const get = (kind: ResourceKind, name: string) => suite.admin.get<Obj>(kind, { namespace: ns, name });
  const sandbox = (name: string) => get(SANDBOX, name);
  const gone = (kind: ResourceKind, name: string) => get(kind, name).then(() => false, (err: { code?: number }) => err.code === 404);
  const patch = (kind: ResourceKind, name: string, body: unknown, subresource?: string) =>
    suite.admin.patch<Obj>(kind, { namespace: ns, name }, body, { type: 'merge', ...(subresource ? { subresource } : {}) });
  const create = (name: string, spec: Record<string, unknown> = {}, podAnnotations?: Record<string, string>) =>
    suite.admin.create<Obj>(SANDBOX, {
      apiVersion: SANDBOX.apiVersion,
      kind: 'Sandbox',
      metadata: { name, namespace: ns },
      spec: { podTemplate: { ...(podAnnotations ? { metadata: { annotations: podAnnotations } } : {}), spec: { containers: [container] } }, ...spec },
    });

  /** The status of a running sandbox whose Pod is Ready (with the Service when `service`). */
  const running = async (name: string, { service = false, generation = 1 } = {}) => {
    const pod = await get(Kinds.Pod, name);
    return {
      selector: nameHashLabel(name),
      ...(service ? { service: name, serviceFQDN: `${name}.${ns}.svc.cluster.local` } : {}),
      podIPs: podIPsOf(pod),
      nodeName: pod.spec.nodeName,
      conditions: sorted([
        condition('PodScheduled', 'True', 'PodScheduled', '', generation),
        condition('Ready', 'True', 'DependenciesReady', service ? 'Pod is Ready; Service Exists' : 'Pod is Ready', generation),
        notSuspended(generation),
      ]),
    };
  };
  const expired = (generation = 1, finished?: ReturnType<typeof condition>) => ({
    conditions: sorted([...(finished ? [finished] : []), condition('Ready', 'False', 'SandboxExpired', 'Sandbox has expired', generation), notSuspended(generation)]),
  });

  beforeAll(async () => {
    suite = await programSuite('std-sandbox');
    ns = suite.ns.name;
    // PVCs that bind: the controller-manager provisions host-path volumes for this class.
    storageClass = `e2e-${ns}`;
    await suite.admin.create(StorageClass, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: storageClass }, provisioner: 'kubernetes.io/host-path' } as never);
    programs = await Promise.all([suite.start('sandbox-controller'), suite.start('ttl-reaper')]);
  });
  afterAll(async () => {
    await suite?.admin.delete(StorageClass, { name: storageClass }).catch(() => undefined);
    await suite?.teardown();
  });

  it('a plain Sandbox: Ready with its Pod, and Suspended=False/NotSuspended in every status from the first', async () => {
    const recorder = await recordVersions(suite.admin, SANDBOX, ns, 'plain');
    await create('plain');
    await waitForStatus('plain Ready', () => sandbox('plain'), () => running('plain'));
    recorder.stop();
    const written = recorder.versions.filter((v) => v.status?.conditions?.length);
    expect(written.length).toBeGreaterThan(0);
    // Only the standard's conditions and messages on the way to Ready.
    const allowed = new Set([
      'Ready/False/DependenciesNotReady/Pod does not exist',
      'Ready/False/DependenciesNotReady/Pod exists with phase: Pending',
      'Ready/False/DependenciesNotReady/Pod is Running but not Ready',
      'Ready/False/DependenciesNotReady/Pod is Ready but has no podIPs yet',
      'Ready/True/DependenciesReady/Pod is Ready',
      'PodScheduled/Unknown/Unknown/Pod has not reported a PodScheduled condition yet',
      'PodScheduled/True/PodScheduled/',
      'Suspended/False/NotSuspended/Sandbox is not suspended',
    ]);
    for (const version of written) {
      const conditions = strict(version)!.conditions as Array<{ type: string; status: string; reason: string; message: string }>;
      expect(conditions).toContainEqual(notSuspended());
      for (const c of conditions) expect(allowed, JSON.stringify(version.status)).toContain(`${c.type}/${c.status}/${c.reason}/${c.message}`);
    }
  });

  it('with a Service: Ready says the Service exists, and the status names it', async () => {
    await create('served', { service: true });
    await waitForStatus('served Ready', () => sandbox('served'), () => running('served', { service: true }));
  });

  it('suspend, suspended, resume: past a terminating Pod, and a Pod of its name it does not own', async () => {
    await create('nap');
    await waitForStatus('nap Ready', () => sandbox('nap'), () => running('nap'));
    // A finalizer holds the Pod in Terminating until the test lets go.
    await patch(Kinds.Pod, 'nap', { metadata: { finalizers: ['test.agent-sandbox/hold'] } });
    const pod = await get(Kinds.Pod, 'nap');
    await patch(SANDBOX, 'nap', { spec: { operatingMode: 'Suspended' } });
    await waitForStatus('nap suspending', () => sandbox('nap'), () => ({
      selector: nameHashLabel('nap'),
      podIPs: podIPsOf(pod),
      nodeName: pod.spec.nodeName,
      conditions: sorted([
        condition('PodScheduled', 'True', 'PodScheduled', '', 2),
        condition('Ready', 'False', 'SandboxSuspended', 'Sandbox is suspending', 2),
        condition('Suspended', 'False', 'PodTerminating', 'Pod is terminating. Sandbox is suspending', 2),
      ]),
    }));
    await patch(Kinds.Pod, 'nap', { metadata: { finalizers: null } });
    const suspended = {
      selector: nameHashLabel('nap'),
      conditions: sorted([
        condition('Ready', 'False', 'SandboxSuspended', 'Sandbox is suspended', 2),
        condition('Suspended', 'True', 'PodTerminated', 'Pod has been terminated. Sandbox is suspended', 2),
      ]),
    };
    await waitForStatus('nap suspended', () => sandbox('nap'), () => suspended);

    // A Pod of the sandbox's name that it does not own: never deleted, and said so.
    await suite.admin.create(Kinds.Pod, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nap', namespace: ns }, spec: { containers: [container] } } as never);
    const notOwned = {
      selector: nameHashLabel('nap'),
      conditions: sorted([
        condition('Ready', 'False', 'SandboxSuspended', 'Sandbox is suspending', 2),
        condition('Suspended', 'False', 'PodNotOwned', 'Refused to delete pod because it is not owned by this sandbox', 2),
      ]),
    };
    await waitForStatus('nap next to a Pod not its own', () => sandbox('nap'), () => notOwned);
    await statusStays('nap next to a Pod not its own', () => sandbox('nap'), notOwned);
    const foreign = await get(Kinds.Pod, 'nap');
    expect(foreign.metadata.deletionTimestamp).toBeUndefined();
    expect(foreign.metadata.ownerReferences).toBeUndefined();
    await suite.admin.delete(Kinds.Pod, { namespace: ns, name: 'nap' }, { preconditions: { uid: foreign.metadata.uid } });
    await waitForStatus('nap suspended again', () => sandbox('nap'), () => suspended);

    await patch(SANDBOX, 'nap', { spec: { operatingMode: 'Running' } });
    await waitForStatus('nap resumed', () => sandbox('nap'), () => running('nap', { generation: 3 }));
  });

  it('Finished from a Pod that really ends: Succeeded and Failed', async () => {
    // kwok ends the Pod as its container would, two seconds after it started.
    await create('succeeds', {}, { [POD_EXIT_CODE_ANNOTATION]: '0', [POD_EXIT_DELAY_ANNOTATION]: '2s' });
    await create('fails', {}, { [POD_EXIT_CODE_ANNOTATION]: '3', [POD_EXIT_DELAY_ANNOTATION]: '2s' });
    for (const [name, reason, message] of [['succeeds', 'PodSucceeded', 'Pod completed successfully'], ['fails', 'PodFailed', 'Pod failed']] as const) {
      await waitForStatus(`${name} Finished`, () => sandbox(name), async () => {
        const pod = await get(Kinds.Pod, name);
        return {
          selector: nameHashLabel(name),
          podIPs: podIPsOf(pod),
          nodeName: pod.spec.nodeName,
          conditions: sorted([
            condition('Finished', 'True', reason, message),
            condition('PodScheduled', 'True', 'PodScheduled', ''),
            condition('Ready', 'False', reason, message),
            notSuspended(),
          ]),
        };
      });
    }
    // The Pod is not made again, and Finished outlives the expiry.
    await patch(SANDBOX, 'succeeds', { spec: { shutdownTime: at(1_000) } });
    await waitForStatus('succeeds expired', () => sandbox('succeeds'), () => expired(2, condition('Finished', 'True', 'PodSucceeded', 'Pod completed successfully', 2)), 30_000);
    await eventually('the Pod of succeeds deleted', () => gone(Kinds.Pod, 'succeeds'), Boolean);
  });

  it('expires under Retain: the status keeps only its conditions, its Pod and Service go, the expiry is in the annotation', async () => {
    const shutdownTime = at(8_000);
    await create('retained', { service: true, shutdownTime });
    await waitForStatus('retained Ready', () => sandbox('retained'), () => running('retained', { service: true }));
    const done = await waitForStatus('retained expired', () => sandbox('retained'), () => expired(), 30_000);
    expect(done.metadata.annotations?.['agents.x-k8s.io/expired-at']).toBe(shutdownTime);
    await eventually('Pod and Service of retained deleted', async () => (await gone(Kinds.Pod, 'retained')) && (await gone(Kinds.Service, 'retained')), Boolean);
    // Nothing comes back.
    await statusStays('retained expired', () => sandbox('retained'), expired());
    expect(await gone(Kinds.Pod, 'retained')).toBe(true);
    expect(await gone(Kinds.Service, 'retained')).toBe(true);
  });

  it('migrates a Sandbox expired by an earlier ttl-reaper: the legacy Expired condition becomes the annotation, then leaves the status', async () => {
    await create('legacy', { service: true });
    await waitForStatus('legacy Ready', () => sandbox('legacy'), () => running('legacy', { service: true }));
    // What the earlier ttl-reaper wrote at expiry.
    const expiredAt = '2026-01-01T00:00:00Z';
    await suite.admin.patch(SANDBOX, { namespace: ns, name: 'legacy' }, [
      { op: 'add', path: '/status/conditions/-', value: { type: 'Expired', status: 'True', reason: 'ShutdownTimeReached', message: 'shutdownTime reached', lastTransitionTime: expiredAt } },
    ], { type: 'json', subresource: 'status' });
    const migrated = await waitForStatus('legacy migrated', () => sandbox('legacy'), () => expired(), 30_000);
    expect(migrated.metadata.annotations?.['agents.x-k8s.io/expired-at']).toBe(expiredAt);
    await eventually('Pod and Service of legacy deleted', async () => (await gone(Kinds.Pod, 'legacy')) && (await gone(Kinds.Service, 'legacy')), Boolean);
    await statusStays('legacy migrated', () => sandbox('legacy'), expired());
  });

  it('volumeClaimTemplates are immutable: added, changed or removed, refused with the standard\'s message; the status stays whole', async () => {
    const claimTemplate = (storage: string) => [{ metadata: { name: 'data' }, spec: { storageClassName: storageClass, accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } } }];
    const refused = async (name: string, spec: unknown) => {
      const before = await sandbox(name);
      const err = await patch(SANDBOX, name, { spec }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe(422);
      expect((err as ApiError).message).toContain('spec.volumeClaimTemplates: Invalid value: volumeClaimTemplates is immutable');
      const after = await sandbox(name);
      expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    };

    await create('without');
    await waitForStatus('without Ready', () => sandbox('without'), () => running('without'));
    await refused('without', { volumeClaimTemplates: claimTemplate('1Gi') });
    await statusStays('without', () => sandbox('without'), await running('without'), 500);

    await create('with', { volumeClaimTemplates: claimTemplate('1Gi') });
    await waitForStatus('with Ready', () => sandbox('with'), () => running('with'), 60_000);
    await refused('with', { volumeClaimTemplates: claimTemplate('2Gi') });
    await refused('with', { volumeClaimTemplates: null });
    await statusStays('with', () => sandbox('with'), await running('with'), 500);
    // Everything else still changes.
    await patch(SANDBOX, 'with', { spec: { operatingMode: 'Suspended' } });
    await waitForStatus('with suspended', () => sandbox('with'), () => ({
      selector: nameHashLabel('with'),
      conditions: sorted([
        condition('Ready', 'False', 'SandboxSuspended', 'Sandbox is suspended', 2),
        condition('Suspended', 'True', 'PodTerminated', 'Pod has been terminated. Sandbox is suspended', 2),
      ]),
    }));
  });

  it('stores what the standard stores, and reports what the API server then refuses', async () => {
    await suite.admin.create<Obj>(SANDBOX, {
      apiVersion: SANDBOX.apiVersion,
      kind: 'Sandbox',
      metadata: { name: 'odd', namespace: ns },
      spec: { podTemplate: { spec: { restartPolicy: 'Sometimes', containers: [container] } } },
    });
    const odd = await eventually('odd ReconcilerError', () => sandbox('odd'), (s) => s.status?.conditions?.some((c: { reason: string }) => c.reason === 'ReconcilerError'));
    expect(strict(odd)).toEqual({
      selector: nameHashLabel('odd'),
      conditions: sorted([
        { ...condition('Ready', 'False', 'ReconcilerError', ''), message: expect.stringMatching(/^Error seen: Pod "odd" is invalid: spec\.restartPolicy: Unsupported value: "Sometimes"/) },
        notSuspended(),
      ]),
    });
  });

  it('ran with exactly its RBAC: nothing refused', () => {
    for (const p of programs) {
      const refusedLines = p.lines.filter((l) => JSON.stringify(l).includes('forbidden'));
      expect(refusedLines, p.program).toEqual([]);
    }
  });
});
