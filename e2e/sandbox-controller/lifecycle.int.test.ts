import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kinds } from '@agent-sandbox/runtime';
import { ClaimKind, conditionOf, consistently, controllerSuite, PoolKind, eventually, kube, podSpec, sandbox, SandboxKind, waitUntil, type ControllerProcess, type Obj, type Suite } from './harness.ts';

const FNV = (s: string) => {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
};

describe('sandbox-controller: a Sandbox and its Pod, Service and PVCs', () => {
  let suite: Suite;
  let k: ReturnType<typeof kube>;
  let controller: ControllerProcess;
  let ns: string;
  beforeAll(async () => {
    suite = await controllerSuite('sc-life');
    ns = suite.ns.name;
    k = kube(suite.admin, ns);
    controller = await suite.start(['--cluster-domain=example.test']);
  });
  afterAll(async () => {
    await suite?.teardown();
  });

  it('makes one owned Pod and a headless Service, and reports Ready with every status field', async () => {
    await k.create(SandboxKind, sandbox(ns, 'alpha', { service: true, podTemplate: { spec: podSpec({ initContainers: [{ name: 'proxy', image: 'proxy:1', restartPolicy: 'Always', ports: [{ containerPort: 9000, name: 'http' }, { containerPort: 8888 }] }] }) } }));
    const ready = await k.waitCondition('alpha', 'Ready', 'True', 'DependenciesReady');
    const hash = FNV('alpha');
    const pod = await k.getPod('alpha');
    expect(pod.metadata.labels?.['agents.x-k8s.io/sandbox-name-hash']).toBe(hash);
    expect(pod.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Sandbox', name: 'alpha', uid: ready.metadata.uid, controller: true })]);
    const svc = await k.getService('alpha');
    expect(svc.spec.clusterIP).toBe('None');
    expect(svc.spec.selector).toEqual({ 'agents.x-k8s.io/sandbox-name-hash': hash });
    // 8888 once (main and sidecar), the sidecar's 9000 named tcp-9000 since "http" is taken.
    expect(svc.spec.ports.map((p: { name: string; port: number }) => `${p.name}:${p.port}`)).toEqual(['http:8888', 'tcp-9000:9000']);
    expect(ready.status.selector).toBe(`agents.x-k8s.io/sandbox-name-hash=${hash}`);
    expect(ready.status.service).toBe('alpha');
    expect(ready.status.serviceFQDN).toBe(`alpha.${ns}.svc.example.test`);
    expect(ready.status.podIPs?.length).toBeGreaterThan(0);
    expect(ready.status.podIPs).toEqual(pod.status.podIPs.map((p: { ip: string }) => p.ip));
    expect(ready.status.nodeName).toBe(pod.spec.nodeName);
    expect(conditionOf(ready, 'PodScheduled')).toMatchObject({ status: 'True', observedGeneration: ready.metadata.generation });
    expect(conditionOf(ready, 'Ready')?.observedGeneration).toBe(ready.metadata.generation);
    expect(conditionOf(ready, 'Suspended')).toMatchObject({ status: 'False', reason: 'NotSuspended', message: 'Sandbox is not suspended' });
    expect(conditionOf(ready, 'Finished')).toBeUndefined();
  });

  it('writes no status when nothing changed', async () => {
    const before = await k.getSandbox('alpha');
    // Touch the Pod (an event the controller sees) without changing anything the status says.
    await k.mergePatch(Kinds.Pod, 'alpha', { metadata: { labels: { touched: 'yes' } } });
    await consistently('no status written', async () => (await k.getSandbox('alpha')).metadata.resourceVersion === before.metadata.resourceVersion, 1_500);
  });

  it('propagates template labels and annotations, removes dropped ones, keeps reserved keys and the pod spec out', async () => {
    await k.create(SandboxKind, sandbox(ns, 'meta', {
      podTemplate: {
        metadata: {
          labels: { team: 'a', keep: 'x', 'agents.x-k8s.io/sandbox-name-hash': 'forged', 'extensions.agents.x-k8s.io/x': 'no' },
          annotations: { note: 'n1', 'opentelemetry.io/trace-context': '{"traceparent":"00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb-01"}', 'agents.x-k8s.io/pod-name': 'x' },
        },
        spec: podSpec(),
      },
    }, { labels: { 'agents.x-k8s.io/claim-uid': 'claim-1', 'agents.x-k8s.io/created-by': 'python-client', 'agents.x-k8s.io/sandbox-template-ref-hash': 'abcd1234', 'agents.x-k8s.io/warm-pool-sandbox': 'pool1', 'agents.x-k8s.io/launch-type': 'cold' } }));
    const pod = await eventually('pod meta', () => k.getPod('meta'), () => true);
    const labels = pod.metadata.labels!;
    expect(labels).toMatchObject({ team: 'a', keep: 'x', 'agents.x-k8s.io/sandbox-name-hash': FNV('meta'), 'agents.x-k8s.io/claim-uid': 'claim-1', 'agents.x-k8s.io/created-by': 'python-client', 'agents.x-k8s.io/sandbox-template-ref-hash': 'abcd1234' });
    // Not pool-owned: the warm-pool label stays off; the launch type is the Sandbox's own.
    expect(labels['agents.x-k8s.io/warm-pool-sandbox']).toBeUndefined();
    expect(labels['agents.x-k8s.io/launch-type']).toBeUndefined();
    expect(labels['extensions.agents.x-k8s.io/x']).toBeUndefined();
    const annotations = pod.metadata.annotations ?? {};
    expect(annotations.note).toBe('n1');
    expect(annotations['opentelemetry.io/trace-context']).toBeUndefined();
    expect(annotations['agents.x-k8s.io/pod-name']).toBeUndefined();

    // Someone else's label on the Pod stays; the template drops `keep`, changes `team`, drops `note`.
    await k.mergePatch(Kinds.Pod, 'meta', { metadata: { labels: { foreign: 'stays' } } });
    await k.mergePatch(SandboxKind, 'meta', { spec: { podTemplate: { metadata: { labels: { team: 'b', added: 'y', keep: null }, annotations: { note: null, other: 'o' } }, spec: { containers: [{ name: 'main', image: 'registry.example/runtime:2' }] } } } });
    const updated = await eventually('pod relabelled', () => k.getPod('meta'), (p) => p.metadata.labels?.team === 'b' && p.metadata.labels?.keep === undefined && p.metadata.annotations?.note === undefined);
    expect(updated.metadata.labels).toMatchObject({ team: 'b', added: 'y', foreign: 'stays' });
    expect(updated.metadata.annotations?.other).toBe('o');
    // The spec of an existing Pod is never changed, and it is the same Pod.
    expect(updated.metadata.uid).toBe(pod.metadata.uid);
    expect(updated.spec.containers[0].image).toBe('registry.example/runtime:1');

    // A claim takes the sandbox: claim uid changes, created-by goes.
    await k.mergePatch(SandboxKind, 'meta', { metadata: { labels: { 'agents.x-k8s.io/claim-uid': 'claim-2', 'agents.x-k8s.io/created-by': null } } });
    const relabelled = await eventually('claim label', () => k.getPod('meta'), (p) => p.metadata.labels?.['agents.x-k8s.io/claim-uid'] === 'claim-2');
    expect(relabelled.metadata.labels?.['agents.x-k8s.io/created-by']).toBeUndefined();
  });

  it('puts the warm-pool label on the Pod only while a pool controls the Sandbox', async () => {
    // Real owners: the garbage collector deletes dependents of owners that do not exist.
    const pool = await k.create(PoolKind, { apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxWarmPool', metadata: { name: 'pool' }, spec: { replicas: 0, sandboxTemplateRef: { name: 'tpl' } } });
    const claim = await k.create(ClaimKind, { apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxClaim', metadata: { name: 'c' }, spec: { warmPoolRef: { name: 'pool' } } });
    const poolRef = { apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxWarmPool', name: 'pool', uid: pool.metadata.uid!, controller: true };
    await k.create(SandboxKind, sandbox(ns, 'warm', {}, { labels: { 'agents.x-k8s.io/warm-pool-sandbox': FNV('pool') }, ownerReferences: [poolRef] }));
    await eventually('warm label', () => k.getPod('warm'), (p) => p.metadata.labels?.['agents.x-k8s.io/warm-pool-sandbox'] === FNV('pool'));
    // Adopted by a claim: the pool's reference and label go.
    const claimRef = { apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxClaim', name: 'c', uid: claim.metadata.uid!, controller: true };
    await k.mergePatch(SandboxKind, 'warm', { metadata: { ownerReferences: [claimRef], labels: { 'agents.x-k8s.io/claim-uid': claimRef.uid } } });
    const pod = await eventually('warm label removed', () => k.getPod('warm'), (p) => p.metadata.labels?.['agents.x-k8s.io/warm-pool-sandbox'] === undefined);
    expect(pod.metadata.labels?.['agents.x-k8s.io/claim-uid']).toBe(claimRef.uid);
  });

  it('makes PVCs from volumeClaimTemplates and mounts them in place of same-named volumes; suspend and resume keep them and the pod name', async () => {
    await k.create(SandboxKind, sandbox(ns, 'disk', {
      podTemplate: { spec: podSpec({ volumes: [{ name: 'home', emptyDir: {} }, { name: 'scratch', emptyDir: {} }] }) },
      volumeClaimTemplates: [{ metadata: { name: 'home', labels: { tier: 'gold' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    }, { annotations: { 'agents.x-k8s.io/pod-name': 'disk-pod' } }));
    const pod = await eventually('pod disk-pod', () => k.getPod('disk-pod'), () => true);
    const pvc = await k.getPvc('home-disk');
    expect(pvc.metadata.labels).toMatchObject({ tier: 'gold', 'agents.x-k8s.io/sandbox-name-hash': FNV('disk') });
    expect(pvc.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Sandbox', name: 'disk', controller: true });
    expect(pod.spec.volumes).toEqual(expect.arrayContaining([
      { name: 'home', persistentVolumeClaim: { claimName: 'home-disk' } },
      expect.objectContaining({ name: 'scratch', emptyDir: {} }),
    ]));
    expect(pod.spec.volumes.filter((v: { name: string }) => v.name === 'home')).toHaveLength(1);
    // No storage here: the Pod stays unschedulable, and the sandbox says what it waits for.
    const waiting = await k.waitCondition('disk', 'Ready', 'False', 'DependenciesNotReady');
    expect(conditionOf(waiting, 'Ready')?.message).toBe('Pod exists with phase: Pending');

    await k.mergePatch(SandboxKind, 'disk', { spec: { operatingMode: 'Suspended' } });
    const suspended = await k.waitCondition('disk', 'Suspended', 'True', 'PodTerminated');
    expect(conditionOf(suspended, 'Ready')).toMatchObject({ status: 'False', reason: 'SandboxSuspended' });
    expect(await k.gone(Kinds.Pod, 'disk-pod')).toBe(true);
    expect(suspended.status.podIPs).toBeUndefined();
    expect(conditionOf(suspended, 'PodScheduled')).toBeUndefined();
    const kept = await k.getPvc('home-disk');
    expect(kept.metadata.uid).toBe(pvc.metadata.uid);

    await k.mergePatch(SandboxKind, 'disk', { spec: { operatingMode: 'Running' } });
    const resumed = await eventually('pod recreated', () => k.getPod('disk-pod'), () => true);
    expect(resumed.metadata.uid).not.toBe(pod.metadata.uid);
    expect(resumed.spec.volumes).toEqual(expect.arrayContaining([{ name: 'home', persistentVolumeClaim: { claimName: 'home-disk' } }]));
    const running = await k.waitCondition('disk', 'Suspended', 'False', 'NotSuspended');
    expect(conditionOf(running, 'Ready')?.reason).toBe('DependenciesNotReady');
    expect((await k.pvcs()).filter((p) => p.metadata.name === 'home-disk')).toHaveLength(1);
  });

  it('suspends a Ready sandbox through PodTerminating (kwok takes a moment to finish the Pod)', async () => {
    await k.create(SandboxKind, sandbox(ns, 'nap'));
    await k.waitCondition('nap', 'Ready', 'True', 'DependenciesReady');
    // A finalizer holds the Pod in Terminating until the test lets go.
    await k.mergePatch(Kinds.Pod, 'nap', { metadata: { finalizers: ['test.agent-sandbox/hold'] } });
    await k.mergePatch(SandboxKind, 'nap', { spec: { operatingMode: 'Suspended' } });
    await k.waitCondition('nap', 'Suspended', 'False', 'PodTerminating');
    await k.mergePatch(Kinds.Pod, 'nap', { metadata: { finalizers: null } });
    await k.waitCondition('nap', 'Suspended', 'True', 'PodTerminated');
  });

  it('keeps the Service with service: true, deletes it with false, leaves it alone when unset', async () => {
    await k.create(SandboxKind, sandbox(ns, 'svc', { service: true }));
    const first = await eventually('service', () => k.getService('svc'), () => true);
    await k.waitCondition('svc', 'Ready', 'True', 'DependenciesReady');
    // Deleted behind its back: made again.
    await k.delete(Kinds.Service, 'svc');
    await eventually('service recreated', () => k.getService('svc'), (s) => s.metadata.uid !== first.metadata.uid);

    await k.mergePatch(SandboxKind, 'svc', { spec: { service: false } });
    await waitUntil('service deleted', () => k.gone(Kinds.Service, 'svc'));
    const without = await eventually('status without service', () => k.getSandbox('svc'), (s) => s.status?.service === undefined);
    expect(without.status.serviceFQDN).toBeUndefined();

    await k.mergePatch(SandboxKind, 'svc', { spec: { service: true } });
    await eventually('service back', () => k.getService('svc'), () => true);
    await eventually('status with service', () => k.getSandbox('svc'), (s) => s.status?.service === 'svc');
    // Unset: neither made nor deleted.
    await k.mergePatch(SandboxKind, 'svc', { spec: { service: null } });
    await consistently('the Service kept and reported', async () => (await k.getService('svc')).metadata.ownerReferences?.[0]?.name === 'svc' && (await k.getSandbox('svc')).status.service === 'svc', 1_000);
    await k.delete(Kinds.Service, 'svc');
    await eventually('the Service deleted', () => k.gone(Kinds.Service, 'svc'), Boolean);
    await consistently('no Service made again', () => k.gone(Kinds.Service, 'svc'), 1_000);
    await eventually('status without service', () => k.getSandbox('svc'), (s) => s.status?.service === undefined);
  });

  it('records events and publishes the creation latency and the sandboxes gauge from the cache', async () => {
    const events = await k.events();
    const reasons = new Set(events.filter((e) => e.involvedObject.name === 'alpha').map((e) => e.reason));
    expect([...reasons]).toEqual(expect.arrayContaining(['PodCreated', 'ServiceCreated', 'SandboxReady']));
    const text = await controller.metrics();
    const count = text.split('\n').find((l) => l.startsWith(`agent_sandbox_creation_latency_ms_count{namespace="${ns}",launch_type="none",template="none"}`));
    expect(Number(count?.split(' ').pop())).toBeGreaterThanOrEqual(3);
    const ready = text.split('\n').find((l) => l.startsWith('agent_sandboxes{') && l.includes(`namespace="${ns}"`) && l.includes('ready_condition="True"') && l.includes('owner_kind="none"'));
    expect(Number(ready?.split(' ').pop())).toBeGreaterThanOrEqual(2);
    const claimed = text.split('\n').find((l) => l.startsWith('agent_sandboxes{') && l.includes('owner_kind="SandboxClaim"') && l.includes(`namespace="${ns}"`));
    expect(claimed).toBeDefined();
    // No error lines, and RBAC allowed everything the controller did (a 403 is logged as an
    // object, often at warn level: the harness's check reads every line).
    expect(controller.lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    expect(controller.forbidden()).toEqual([]);
  });
});

export type { Obj };
