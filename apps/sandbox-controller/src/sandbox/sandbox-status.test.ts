import { describe, expect, it } from 'vitest';
import type { PodObject, SandboxObject } from '../kinds.ts';
import { computeStatus, firstReady, onlyProgress, statusChanged, statusPatch, type Observation } from './sandbox-status.ts';

const now = new Date('2030-01-01T00:00:00Z');
const sb = (spec: Partial<SandboxObject['spec']> = {}, conditions: unknown[] = []): SandboxObject => ({
  apiVersion: 'agents.x-k8s.io/v1beta1',
  kind: 'Sandbox',
  metadata: { name: 's', namespace: 'n', uid: 'u', generation: 3 },
  spec: { podTemplate: { spec: { containers: [] } }, ...spec },
  status: { conditions: conditions as never },
});
const readyPod = (extra: Partial<PodObject> = {}): PodObject => ({
  metadata: { name: 's' },
  spec: { nodeName: 'node-1', containers: [] },
  status: { phase: 'Running', podIPs: [{ ip: '10.0.0.1' }], conditions: [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }] },
  ...extra,
});
const obs = (o: Partial<Observation>): Observation => ({ sandbox: sb(), hash: 'h', clusterDomain: 'cluster.local', multiplePods: false, serviceRequired: false, ...o });
const cond = (status: ReturnType<typeof computeStatus>, type: string) => status.conditions?.find((c) => c.type === type);
const expired = { type: 'Expired', status: 'True', reason: 'ShutdownTimeReached', message: '', lastTransitionTime: '2029-01-01T00:00:00Z' };

describe('sandbox status', () => {
  it('Ready with every field when the Pod is Ready and the Service exists', () => {
    const s = computeStatus(obs({ pod: readyPod(), service: { metadata: { name: 's' } }, serviceRequired: true }), now);
    expect(s).toMatchObject({ selector: 'agents.x-k8s.io/sandbox-name-hash=h', podIPs: ['10.0.0.1'], nodeName: 'node-1', service: 's', serviceFQDN: 's.n.svc.cluster.local' });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'True', reason: 'DependenciesReady', observedGeneration: 3, lastTransitionTime: '2030-01-01T00:00:00Z' });
    expect(cond(s, 'PodScheduled')).toMatchObject({ status: 'True', reason: 'PodScheduled' });
    expect(cond(s, 'Suspended')).toBeUndefined();
  });

  it.each([
    ['no Pod', {}, 'DependenciesNotReady', 'Pod does not exist'],
    ['Pending', { pod: readyPod({ status: { phase: 'Pending' } }) }, 'DependenciesNotReady', 'Pod is Pending'],
    ['not Ready', { pod: readyPod({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] } }) }, 'DependenciesNotReady', 'Pod is Running but not Ready'],
    ['no IP', { pod: readyPod({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }) }, 'DependenciesNotReady', 'Pod has no IP'],
    ['no Service', { pod: readyPod(), serviceRequired: true }, 'DependenciesNotReady', 'Service does not exist'],
    ['failed', { pod: readyPod({ status: { phase: 'Failed' } }) }, 'PodFailed', 'The Pod failed'],
    ['succeeded', { pod: readyPod({ status: { phase: 'Succeeded' } }) }, 'PodSucceeded', 'The Pod succeeded'],
    ['an error', { pod: readyPod(), error: 'boom' }, 'ReconcilerError', 'boom'],
    ['several Pods', { pod: readyPod(), multiplePods: true }, 'MultiplePods', expect.stringMatching(/More than one Pod/)],
    ['suspended', { sandbox: sb({ operatingMode: 'Suspended' }) }, 'SandboxSuspended', 'The sandbox is suspended'],
    ['expired', { sandbox: sb({}, [expired]), pod: readyPod() }, 'SandboxExpired', expect.any(String)],
  ] as const)('not Ready with %s', (_what, o, reason, message) => {
    expect(cond(computeStatus(obs(o as Partial<Observation>), now), 'Ready')).toMatchObject({ status: 'False', reason, message });
  });

  it('Suspended: terminating, terminated, not owned, unknown; NotSuspended once back', () => {
    const suspended = sb({ operatingMode: 'Suspended' });
    expect(cond(computeStatus(obs({ sandbox: suspended, pod: readyPod() }), now), 'Suspended')).toMatchObject({ status: 'False', reason: 'PodTerminating' });
    expect(cond(computeStatus(obs({ sandbox: suspended }), now), 'Suspended')).toMatchObject({ status: 'True', reason: 'PodTerminated' });
    expect(cond(computeStatus(obs({ sandbox: suspended, foreignPod: true }), now), 'Suspended')).toMatchObject({ status: 'False', reason: 'PodNotOwned' });
    expect(cond(computeStatus(obs({ sandbox: suspended, multiplePods: true }), now), 'Suspended')).toMatchObject({ status: 'Unknown', reason: 'PodStateUnknown' });
    const resumed = sb({}, [{ type: 'Suspended', status: 'True', reason: 'PodTerminated', message: '', lastTransitionTime: '2029-01-01T00:00:00Z' }]);
    expect(cond(computeStatus(obs({ sandbox: resumed }), now), 'Suspended')).toMatchObject({ status: 'False', reason: 'NotSuspended' });
  });

  it('keeps Finished once the ended Pod is gone, never writes Expired, drops PodScheduled without a Pod', () => {
    const finished = { type: 'Finished', status: 'True', reason: 'PodFailed', message: '', lastTransitionTime: '2029-01-01T00:00:00Z' };
    const scheduled = { type: 'PodScheduled', status: 'True', reason: 'PodScheduled', message: '', lastTransitionTime: '2029-01-01T00:00:00Z' };
    const s = computeStatus(obs({ sandbox: sb({}, [finished, scheduled, expired]) }), now);
    expect(cond(s, 'Finished')).toMatchObject({ status: 'True', reason: 'PodFailed' });
    expect(cond(s, 'Expired')).toBeUndefined();
    expect(cond(s, 'PodScheduled')).toBeUndefined();
  });

  it('sees no change in a status it computed itself, and when the Ready transition is the first', () => {
    const first = computeStatus(obs({ pod: readyPod() }), now);
    const written = sb();
    written.status = first;
    expect(statusChanged(written, computeStatus(obs({ sandbox: written, pod: readyPod() }), new Date('2031-01-01T00:00:00Z')))).toBe(false);
    expect(statusChanged(written, computeStatus(obs({ sandbox: written }), now))).toBe(true);
    expect(firstReady(sb(), first)).toBe(true);
    expect(firstReady(written, first)).toBe(false);
    const wasSuspended = sb({}, [{ type: 'Suspended', status: 'False', reason: 'NotSuspended', message: '', lastTransitionTime: '2029-01-01T00:00:00Z' }]);
    expect(firstReady(wasSuspended, first)).toBe(false);
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

  it('patches the status: keeps the ttl-reaper\'s Expired, clears fields that went', () => {
    const before = sb({}, [expired]);
    before.status = { ...before.status, service: 's', serviceFQDN: 's.n.svc.cluster.local', podIPs: ['10.0.0.1'], nodeName: 'node-1' };
    const next = computeStatus(obs({ sandbox: before }), now);
    const patch = statusPatch(before, next);
    expect((patch.conditions as Array<{ type: string }>).map((c) => c.type).sort()).toEqual(['Expired', 'Ready']);
    expect(patch).toMatchObject({ service: null, serviceFQDN: null, podIPs: null, nodeName: null, selector: 'agents.x-k8s.io/sandbox-name-hash=h' });
    expect(statusPatch(sb(), next)).not.toHaveProperty('service');
  });
});
