import { describe, expect, it } from 'vitest';
import type { PodObject, SandboxObject } from '../kinds.ts';
import { computeStatus, firstReady, onlyProgress, statusChanged, statusPatch, type Observation } from './sandbox-status.ts';

const now = new Date('2030-01-01T00:00:00Z');
const sb = (spec: Partial<SandboxObject['spec']> = {}, conditions: unknown[] = [], annotations?: Record<string, string>): SandboxObject => ({
  apiVersion: 'agents.x-k8s.io/v1beta1',
  kind: 'Sandbox',
  metadata: { name: 's', namespace: 'n', uid: 'u', generation: 3, ...(annotations ? { annotations } : {}) },
  spec: { podTemplate: { spec: { containers: [] } }, ...spec },
  status: { conditions: conditions as never },
});
const readyPod = (extra: Partial<PodObject> = {}): PodObject => ({
  metadata: { name: 's' },
  spec: { nodeName: 'node-1', containers: [] },
  status: { phase: 'Running', podIPs: [{ ip: '10.0.0.1' }], conditions: [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }] },
  ...extra,
});
const obs = (o: Partial<Observation>): Observation => ({ sandbox: sb(), hash: 'h', clusterDomain: 'cluster.local', multiplePods: false, ...o });
const cond = (status: ReturnType<typeof computeStatus>, type: string) => status.conditions?.find((c) => c.type === type);
/** The status as a strict client compares it: conditions by type, without transition times. */
const strict = (status: ReturnType<typeof computeStatus>) => ({
  ...status,
  conditions: [...(status.conditions ?? [])].sort((a, b) => a.type.localeCompare(b.type)).map(({ lastTransitionTime: _, ...c }) => c),
});
const EXPIRED_AT = { 'agents.x-k8s.io/expired-at': '2029-06-01T00:00:00Z' };
const legacyExpired = { type: 'Expired', status: 'True', reason: 'ShutdownTimeReached', message: '', lastTransitionTime: '2029-01-01T00:00:00Z' };
const notSuspended = { type: 'Suspended', status: 'False', reason: 'NotSuspended', message: 'Sandbox is not suspended', observedGeneration: 3 };

describe('sandbox status', () => {
  it('is the standard\'s whole status when the Pod is Ready and the Service exists', () => {
    const s = computeStatus(obs({ sandbox: sb({ service: true }), pod: readyPod(), service: { metadata: { name: 's' } } }), now);
    expect(strict(s)).toEqual({
      selector: 'agents.x-k8s.io/sandbox-name-hash=h',
      podIPs: ['10.0.0.1'],
      nodeName: 'node-1',
      service: 's',
      serviceFQDN: 's.n.svc.cluster.local',
      conditions: [
        { type: 'PodScheduled', status: 'True', reason: 'PodScheduled', message: '', observedGeneration: 3 },
        { type: 'Ready', status: 'True', reason: 'DependenciesReady', message: 'Pod is Ready; Service Exists', observedGeneration: 3 },
        notSuspended,
      ],
    });
    expect(cond(s, 'Ready')?.lastTransitionTime).toBe('2030-01-01T00:00:00Z');
  });

  it('writes Suspended=False/NotSuspended from the first status on, and Ready without a Service part when none is required', () => {
    const s = computeStatus(obs({}), now);
    expect(strict(s)).toEqual({
      selector: 'agents.x-k8s.io/sandbox-name-hash=h',
      conditions: [{ type: 'Ready', status: 'False', reason: 'DependenciesNotReady', message: 'Pod does not exist', observedGeneration: 3 }, notSuspended],
    });
    expect(cond(computeStatus(obs({ pod: readyPod() }), now), 'Ready')?.message).toBe('Pod is Ready');
  });

  it.each([
    ['no Pod', {}, 'DependenciesNotReady', 'Pod does not exist'],
    ['Pending', { pod: readyPod({ status: { phase: 'Pending' } }) }, 'DependenciesNotReady', 'Pod exists with phase: Pending'],
    ['not Ready', { pod: readyPod({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] } }) }, 'DependenciesNotReady', 'Pod is Running but not Ready'],
    ['no IP', { pod: readyPod({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }) }, 'DependenciesNotReady', 'Pod is Ready but has no podIPs yet'],
    ['no Service', { sandbox: sb({ service: true }), pod: readyPod() }, 'DependenciesNotReady', 'Pod is Ready; Service does not exist'],
    ['Pending, Service there', { sandbox: sb({ service: true }), pod: readyPod({ status: { phase: 'Pending' } }), service: { metadata: { name: 's' } } }, 'DependenciesNotReady', 'Pod exists with phase: Pending; Service Exists'],
    ['failed', { pod: readyPod({ status: { phase: 'Failed' } }) }, 'PodFailed', 'Pod failed'],
    ['succeeded', { pod: readyPod({ status: { phase: 'Succeeded' } }) }, 'PodSucceeded', 'Pod completed successfully'],
    ['an error', { pod: readyPod(), error: 'boom' }, 'ReconcilerError', 'Error seen: boom'],
    ['several Pods', { pod: readyPod(), multiplePods: true }, 'MultiplePods', expect.stringMatching(/More than one Pod/)],
    ['suspended', { sandbox: sb({ operatingMode: 'Suspended' }) }, 'SandboxSuspended', 'Sandbox is suspended'],
    ['suspending', { sandbox: sb({ operatingMode: 'Suspended' }), pod: readyPod() }, 'SandboxSuspended', 'Sandbox is suspending'],
    ['suspending past a Pod not its own', { sandbox: sb({ operatingMode: 'Suspended' }), foreignPod: true }, 'SandboxSuspended', 'Sandbox is suspending'],
    ['expired', { sandbox: sb({}, [], EXPIRED_AT), pod: readyPod() }, 'SandboxExpired', 'Sandbox has expired'],
  ] as const)('not Ready with %s', (_what, o, reason, message) => {
    expect(cond(computeStatus(obs(o as Partial<Observation>), now), 'Ready')).toMatchObject({ status: 'False', reason, message });
  });

  it('the Service unset but there counts as required', () => {
    expect(cond(computeStatus(obs({ pod: readyPod(), service: { metadata: { name: 's' } } }), now), 'Ready')).toMatchObject({ status: 'True', message: 'Pod is Ready; Service Exists' });
    expect(cond(computeStatus(obs({ sandbox: sb({ service: false }), pod: readyPod(), service: { metadata: { name: 's' } } }), now), 'Ready')?.message).toBe('Pod is Ready');
  });

  it('Suspended: terminating, terminated, not owned, unknown; NotSuspended once back', () => {
    const suspended = sb({ operatingMode: 'Suspended' });
    const of = (o: Partial<Observation>) => cond(computeStatus(obs({ sandbox: suspended, ...o }), now), 'Suspended');
    expect(of({ pod: readyPod() })).toMatchObject({ status: 'False', reason: 'PodTerminating', message: 'Pod is terminating. Sandbox is suspending' });
    expect(of({})).toMatchObject({ status: 'True', reason: 'PodTerminated', message: 'Pod has been terminated. Sandbox is suspended' });
    expect(of({ foreignPod: true })).toMatchObject({ status: 'False', reason: 'PodNotOwned', message: 'Refused to delete pod because it is not owned by this sandbox' });
    expect(of({ multiplePods: true })).toMatchObject({ status: 'Unknown', reason: 'PodStateUnknown', message: 'Pod state is unknown. Sandbox suspension cannot be confirmed' });
    const resumed = sb({}, [{ type: 'Suspended', status: 'True', reason: 'PodTerminated', message: '', lastTransitionTime: '2029-01-01T00:00:00Z' }]);
    expect(cond(computeStatus(obs({ sandbox: resumed }), now), 'Suspended')).toMatchObject({ status: 'False', reason: 'NotSuspended', message: 'Sandbox is not suspended' });
  });

  it('mirrors PodScheduled while a Pod exists, Unknown until the Pod reports one', () => {
    const unreported = readyPod({ status: { phase: 'Pending' } });
    expect(cond(computeStatus(obs({ pod: unreported }), now), 'PodScheduled')).toMatchObject({ status: 'Unknown', message: 'Pod has not reported a PodScheduled condition yet' });
    const unschedulable = readyPod({ status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }] } });
    expect(cond(computeStatus(obs({ pod: unschedulable }), now), 'PodScheduled')).toMatchObject({ status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' });
  });

  it('keeps Finished once the ended Pod is gone, and drops it (and PodScheduled) only as a new Pod runs or none is left', () => {
    const finished = { type: 'Finished', status: 'True', reason: 'PodFailed', message: 'Pod failed', lastTransitionTime: '2029-01-01T00:00:00Z' };
    const scheduled = { type: 'PodScheduled', status: 'True', reason: 'PodScheduled', message: '', lastTransitionTime: '2029-01-01T00:00:00Z' };
    const gone = computeStatus(obs({ sandbox: sb({}, [finished, scheduled]) }), now);
    expect(cond(gone, 'Finished')).toMatchObject({ status: 'True', reason: 'PodFailed' });
    expect(cond(gone, 'PodScheduled')).toBeUndefined();
    // A Pod deleted from under it: its end was caused by the deletion, not a Finished.
    const deleted = readyPod({ metadata: { name: 's', deletionTimestamp: '2030-01-01T00:00:00Z' }, status: { phase: 'Failed' } });
    expect(cond(computeStatus(obs({ sandbox: sb({ operatingMode: 'Suspended' }), pod: deleted }), now), 'Finished')).toBeUndefined();
    expect(cond(computeStatus(obs({ sandbox: sb({}, [finished]), pod: readyPod() }), now), 'Finished')).toBeUndefined();
  });

  it('an expired sandbox keeps only its conditions: Ready SandboxExpired, Suspended, Finished if it had one', () => {
    const finished = { type: 'Finished', status: 'True', reason: 'PodSucceeded', message: 'Pod completed successfully', lastTransitionTime: '2029-01-01T00:00:00Z', observedGeneration: 3 };
    const before = sb({ service: true }, [finished], EXPIRED_AT);
    before.status = { ...before.status, service: 's', serviceFQDN: 's.n.svc.cluster.local', podIPs: ['10.0.0.1'], nodeName: 'node-1', selector: 'x' };
    const s = computeStatus(obs({ sandbox: before, pod: readyPod(), service: { metadata: { name: 's' } } }), now);
    expect(strict(s)).toEqual({
      conditions: [
        { type: 'Finished', status: 'True', reason: 'PodSucceeded', message: 'Pod completed successfully', observedGeneration: 3 },
        { type: 'Ready', status: 'False', reason: 'SandboxExpired', message: 'Sandbox has expired', observedGeneration: 3 },
        notSuspended,
      ],
    });
    expect(statusPatch(before, s)).toMatchObject({ selector: null, service: null, serviceFQDN: null, podIPs: null, nodeName: null });
  });

  it('carries a legacy Expired condition (counted as expiry) until the ttl-reaper has moved it to its annotation', () => {
    const unmigrated = computeStatus(obs({ sandbox: sb({}, [legacyExpired]) }), now);
    expect(cond(unmigrated, 'Ready')?.reason).toBe('SandboxExpired');
    expect(cond(unmigrated, 'Expired')).toEqual(legacyExpired);
    const migrated = sb({}, [legacyExpired], { 'agents.x-k8s.io/expired-at': legacyExpired.lastTransitionTime });
    const s = computeStatus(obs({ sandbox: migrated }), now);
    expect(cond(s, 'Expired')).toBeUndefined();
    expect(statusChanged(migrated, s)).toBe(true);
    expect((statusPatch(migrated, s).conditions as Array<{ type: string }>).map((c) => c.type).sort()).toEqual(['Ready', 'Suspended']);
  });

  it('sees no change in a status it computed itself, and when the Ready transition is the first', () => {
    const first = computeStatus(obs({ pod: readyPod() }), now);
    const written = sb();
    written.status = first;
    expect(statusChanged(written, computeStatus(obs({ sandbox: written, pod: readyPod() }), new Date('2031-01-01T00:00:00Z')))).toBe(false);
    expect(statusChanged(written, computeStatus(obs({ sandbox: written }), now))).toBe(true);
    expect(firstReady(sb(), first)).toBe(true);
    expect(firstReady(written, first)).toBe(false);
    // Not Ready at the first write, Ready later: the first Ready.
    const waiting = { ...sb(), status: computeStatus(obs({}), now) };
    expect(firstReady(waiting, computeStatus(obs({ sandbox: waiting, pod: readyPod() }), new Date('2030-01-01T00:00:05Z')))).toBe(true);
    // Suspended and resumed since: Suspended moved later than Ready did.
    const resumed = sb({}, [
      { type: 'Ready', status: 'False', reason: 'DependenciesNotReady', message: 'Pod does not exist', lastTransitionTime: '2029-01-01T00:00:00Z' },
      { type: 'Suspended', status: 'False', reason: 'NotSuspended', message: 'Sandbox is not suspended', lastTransitionTime: '2029-01-02T00:00:00Z' },
    ]);
    expect(firstReady(resumed, first)).toBe(false);
  });

  it('tells progress that may wait from news that may not', () => {
    const unbound = readyPod({ spec: { containers: [] }, status: { phase: 'Pending' } });
    const bound = readyPod({ status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] } });
    const created = sb();
    // The first "not Ready yet" may wait for more.
    expect(onlyProgress(created, computeStatus(obs({ sandbox: created }), now))).toBe(true);
    expect(onlyProgress(created, computeStatus(obs({ sandbox: created, pod: bound }), now))).toBe(true);
    const written = { ...created, status: computeStatus(obs({ sandbox: created, pod: unbound }), now) };
    const scheduled = computeStatus(obs({ sandbox: written, pod: bound }), now);
    expect(statusChanged(written, scheduled)).toBe(true);
    expect(onlyProgress(written, scheduled)).toBe(true);
    // Never held back: an unschedulable Pod, Ready, a problem, a Service that appears.
    const unschedulable = readyPod({ spec: { containers: [] }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] } });
    expect(onlyProgress(written, computeStatus(obs({ sandbox: written, pod: unschedulable }), now))).toBe(false);
    expect(onlyProgress(written, computeStatus(obs({ sandbox: written, pod: readyPod() }), now))).toBe(false);
    expect(onlyProgress(written, computeStatus(obs({ sandbox: written, pod: bound, error: 'boom' }), now))).toBe(false);
    expect(onlyProgress(written, computeStatus(obs({ sandbox: written, pod: bound, service: { metadata: { name: 's' } } }), now))).toBe(false);
    // Falling out of Ready is news.
    const ready = { ...created, status: computeStatus(obs({ sandbox: created, pod: readyPod() }), now) };
    expect(onlyProgress(ready, computeStatus(obs({ sandbox: ready, pod: bound }), now))).toBe(false);
  });

  it('patches the status: clears fields that went', () => {
    const before = sb();
    before.status = { ...before.status, service: 's', serviceFQDN: 's.n.svc.cluster.local', podIPs: ['10.0.0.1'], nodeName: 'node-1' };
    const next = computeStatus(obs({ sandbox: before }), now);
    const patch = statusPatch(before, next);
    expect((patch.conditions as Array<{ type: string }>).map((c) => c.type).sort()).toEqual(['Ready', 'Suspended']);
    expect(patch).toMatchObject({ service: null, serviceFQDN: null, podIPs: null, nodeName: null, selector: 'agents.x-k8s.io/sandbox-name-hash=h' });
    expect(statusPatch(sb(), next)).not.toHaveProperty('service');
  });
});
