/**
 * The sandbox-controller with Pods that really run: on the cluster's real node, a Sandbox is
 * Ready because its container's readiness probe really passes, its Pod IP answers, its Service
 * name resolves in the cluster, and it Finishes when its process really exits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet } from '@agent-sandbox/controlplane';
import { REAL_NODE_PLACEMENT, testImages } from '@agent-sandbox/controlplane/testing';
import { conditionOf, controllerSuite, eventually, kube, sandbox, SandboxKind, type Obj, type Suite } from './harness.ts';

const agnhost = testImages().agnhost;

/** agnhost's netexec (HTTP on 8080; /dial reaches others, /exit ends the process). */
function netexecPodSpec(readinessPort: number, extra: Record<string, unknown> = {}) {
  return {
    ...REAL_NODE_PLACEMENT,
    terminationGracePeriodSeconds: 2,
    containers: [
      {
        name: 'main',
        image: agnhost,
        args: ['netexec', '--http-port=8080'],
        ports: [{ containerPort: 8080, name: 'http' }],
        readinessProbe: { httpGet: { path: '/readyz', port: readinessPort }, periodSeconds: 1 },
      },
    ],
    ...extra,
  };
}

describe('sandbox-controller on the real node', () => {
  let suite: Suite;
  let k: ReturnType<typeof kube>;
  let ns: string;
  beforeAll(async () => {
    suite = await controllerSuite('sc-real');
    ns = suite.ns.name;
    k = kube(suite.admin, ns);
    await suite.start();
  });
  afterAll(async () => {
    await suite?.teardown();
  });

  it('reports Ready only once the real readiness probe passes, and the Pod IP answers', async () => {
    await k.create(SandboxKind, sandbox(ns, 'probed', { service: true, podTemplate: { spec: netexecPodSpec(8080) } }));
    await k.create(SandboxKind, sandbox(ns, 'unprobed', { podTemplate: { spec: netexecPodSpec(9999) } }));

    const ready = await k.waitCondition('probed', 'Ready', 'True', 'DependenciesReady', 60_000);
    const pod = await k.getPod('probed');
    expect(pod.spec.nodeName).toBe('real-node');
    expect(ready.status.podIPs).toEqual([pod.status.podIP]);
    expect(await httpGet(`http://${pod.status.podIP}:8080/hostname`)).toEqual({ status: 200, body: 'probed' });

    // The same container with its probe on a port nothing listens on runs, but is never Ready:
    // the kubelet really probes, and the controller reflects what it finds.
    await eventually('unprobed running', () => k.getPod('unprobed'), (p: Obj) => p.status?.phase === 'Running', 60_000);
    // Progress ("still coming") may be written a moment later than the Pod's own status.
    await eventually('unprobed to report its running, unready Pod', () => k.getSandbox('unprobed'), (s: Obj) => /Running but not Ready/i.test(conditionOf(s, 'Ready')?.message ?? ''), 15_000);
    const deadline = Date.now() + 8_000;
    while (Date.now() < deadline) {
      const s = await k.getSandbox('unprobed');
      expect(conditionOf(s, 'Ready')).toMatchObject({ status: 'False', reason: 'DependenciesNotReady' });
      await new Promise((r) => setTimeout(r, 250));
    }
    const running = await k.getPod('unprobed');
    expect(running.status.containerStatuses[0]).toMatchObject({ ready: false, started: true, restartCount: 0 });
    expect(await httpGet(`http://${running.status.podIP}:8080/hostname`)).toEqual({ status: 200, body: 'unprobed' });
  });

  it("resolves the Sandbox's Service name inside the cluster", async () => {
    const probed = await k.getSandbox('probed');
    const from = await k.getPod('unprobed');
    const fqdn: string = probed.status.serviceFQDN;
    expect(fqdn).toBe(`probed.${ns}.svc.cluster.local`);
    const answer = await eventually(
      `unprobed to reach ${fqdn}`,
      async () => JSON.parse((await httpGet(`http://${from.status.podIP}:8080/dial?request=hostname&protocol=http&host=${fqdn}&port=8080&tries=1`)).body) as object,
      (a) => !('errors' in a),
      15_000,
    );
    expect(answer).toEqual({ responses: ['probed'] });
  });

  it('reports Finished when the process in the Pod really exits', async () => {
    await k.create(SandboxKind, sandbox(ns, 'finishing', { podTemplate: { spec: netexecPodSpec(8080, { restartPolicy: 'Never' }) } }));
    await k.waitCondition('finishing', 'Ready', 'True', 'DependenciesReady', 60_000);
    const pod = await k.getPod('finishing');
    await httpGet(`http://${pod.status.podIP}:8080/exit?code=0`).catch(() => undefined); // the process may go before it answers
    const finished = await k.waitCondition('finishing', 'Finished', 'True', 'PodSucceeded', 60_000);
    expect(conditionOf(finished, 'Ready')).toMatchObject({ status: 'False', reason: 'PodSucceeded' });
    expect((await k.getPod('finishing')).status.phase).toBe('Succeeded');
  });
});
