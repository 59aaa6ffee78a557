import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import {
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
  VersionApi,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlane } from './cluster.ts';
import { waitFor } from './http-probe.ts';
import { isRunning, portInUse } from './process.ts';
import { POD_EXIT_CODE_ANNOTATION, POD_EXIT_DELAY_ANNOTATION } from './stages.ts';
import { createTestNamespace, testKubeConfig, type TestNamespace } from './testing/kube.ts';
import { readVersions } from './versions.ts';
import { consistently } from '@agent-sandbox/runtime/testing';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);

function pod(name: string, extra: Partial<V1Pod['spec']> = {}): V1Pod {
  return {
    metadata: { name },
    spec: { containers: [{ name: 'main', image: 'python:3.13-slim' }], ...extra },
  };
}

async function podIsReady(namespace: string, name: string): Promise<boolean> {
  const p = await core.readNamespacedPod({ name, namespace });
  return p.status?.phase === 'Running' && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

const notFound = (err: unknown) => (err as { code?: number }).code === 404;

/** Pids of live processes whose command line names `text` (a cluster's folder). */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('the local control plane is a real Kubernetes', () => {
  let ns: TestNamespace;
  beforeAll(async () => {
    ns = await createTestNamespace('cp');
  });
  afterAll(async () => ns.remove());

  it('reports the pinned Kubernetes version', async () => {
    const info = await kc.makeApiClient(VersionApi).getCode();
    expect(info.gitVersion).toBe(readVersions().kubernetes);
  });

  it('schedules a Pod onto a kwok node, where it becomes Running and Ready', async () => {
    await core.createNamespacedPod({ namespace: ns.name, body: pod('ready') });
    await waitFor('pod ready', () => podIsReady(ns.name, 'ready'), 30_000);
    const p = await core.readNamespacedPod({ name: 'ready', namespace: ns.name });
    expect(p.spec?.nodeName).toMatch(/^kwok-node-\d+$/);
    expect(p.status?.podIP).toMatch(/^10\.244\./);
    expect(p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
  });

  it('ends a Pod the way its container exit would on our pod-exit stage: Succeeded for 0, Failed with the code otherwise', async () => {
    const exiting = (name: string, code: string, delay?: string): V1Pod => ({
      ...pod(name),
      metadata: { name, annotations: { [POD_EXIT_CODE_ANNOTATION]: code, ...(delay ? { [POD_EXIT_DELAY_ANNOTATION]: delay } : {}) } },
    });
    await core.createNamespacedPod({ namespace: ns.name, body: exiting('exits-0', '0') });
    await core.createNamespacedPod({ namespace: ns.name, body: exiting('exits-3', '3', '2s') });
    const ended = async (name: string, phase: string) => (await core.readNamespacedPod({ name, namespace: ns.name })).status?.phase === phase;
    await waitFor('exits-0 Succeeded', () => ended('exits-0', 'Succeeded'), 30_000);
    // The delay holds it Running first.
    await waitFor('exits-3 Running', () => podIsReady(ns.name, 'exits-3'), 30_000);
    await waitFor('exits-3 Failed', () => ended('exits-3', 'Failed'), 30_000);
    const failed = await core.readNamespacedPod({ name: 'exits-3', namespace: ns.name });
    expect(failed.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(failed.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodFailed' });
    expect(failed.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
    const succeeded = await core.readNamespacedPod({ name: 'exits-0', namespace: ns.name });
    expect(succeeded.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    // Without the annotation a Pod keeps running (kwok's own pod-complete is for Jobs only).
    expect(await ended('ready', 'Running')).toBe(true);
  });

  it('garbage-collects dependents when their owner is deleted', async () => {
    const owner = await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'owner' } } });
    const ownerReferences = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid!, controller: true }];
    await core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'dependent', ownerReferences } } });
    await core.createNamespacedPod({ namespace: ns.name, body: { ...pod('dependent-pod'), metadata: { name: 'dependent-pod', ownerReferences } } });

    await core.deleteNamespacedConfigMap({ name: 'owner', namespace: ns.name, propagationPolicy: 'Background' });
    await waitFor('dependents to be collected', async () => {
      const gone = await Promise.all([
        core.readNamespacedConfigMap({ name: 'dependent', namespace: ns.name }).then(() => false, notFound),
        core.readNamespacedPod({ name: 'dependent-pod', namespace: ns.name }).then(() => false, notFound),
      ]);
      return gone.every(Boolean);
    }, 60_000);
  });

  it('completes the deletion of a namespace that holds Pods', async () => {
    const doomed = await createTestNamespace('cp-doomed');
    await core.createNamespacedPod({ namespace: doomed.name, body: pod('p') });
    await core.createNamespacedConfigMap({ namespace: doomed.name, body: { metadata: { name: 'c' } } });
    await waitFor('pod ready', () => podIsReady(doomed.name, 'p'), 30_000);
    await doomed.remove({ wait: true });
    await expect(core.readNamespace({ name: doomed.name })).rejects.toMatchObject({ code: 404 });
  });

  it('refuses a request that RBAC does not allow, and allows it once bound', async () => {
    await core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'nobody' } } });
    const token = (
      await core.createNamespacedServiceAccountToken({
        name: 'nobody',
        namespace: ns.name,
        body: { spec: { audiences: [], expirationSeconds: 600 } },
      })
    ).status!.token;
    const asNobody = new KubeConfig();
    asNobody.loadFromOptions({
      clusters: [{ ...kc.getCurrentCluster()!, name: 'c' }],
      users: [{ name: 'nobody', token }],
      contexts: [{ name: 'c', cluster: 'c', user: 'nobody' }],
      currentContext: 'c',
    });
    const nobody = asNobody.makeApiClient(CoreV1Api);

    await expect(nobody.listNamespacedPod({ namespace: ns.name })).rejects.toMatchObject({ code: 403 });

    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns.name,
      body: { metadata: { name: 'pod-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns.name,
      body: {
        metadata: { name: 'nobody-reads-pods' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'nobody', namespace: ns.name }],
      },
    });
    await waitFor('the binding to take effect', async () => {
      await nobody.listNamespacedPod({ namespace: ns.name });
      return true;
    }, 10_000);
    await expect(nobody.createNamespacedPod({ namespace: ns.name, body: pod('not-allowed') })).rejects.toMatchObject({ code: 403 });
    await expect(nobody.listNamespacedPod({ namespace: 'default' })).rejects.toMatchObject({ code: 403 });
  });

  it('serves the admission webhook machinery and the aggregated discovery that webhooks need', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const cluster = kc.getCurrentCluster()!;
      const user = kc.getCurrentUser()!;
      const req = request(
        `${cluster.server}/apis/admissionregistration.k8s.io/v1`,
        {
          ca: Buffer.from(cluster.caData!, 'base64'),
          cert: Buffer.from(user.certData!, 'base64'),
          key: Buffer.from(user.keyData!, 'base64'),
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end();
    });
    const kinds = (JSON.parse(body) as { resources: { kind: string }[] }).resources.map((r) => r.kind);
    expect(kinds).toEqual(expect.arrayContaining(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']));
  });
});

describe('the harness', () => {
  it('stops and restarts one component, then leaves no process or port behind after down', async () => {
    const cp = await ControlPlane.up({ name: `harness-${process.pid}`, ownerPid: process.pid, nodes: 1 });
    const api = cp.kubeConfig().makeApiClient(CoreV1Api);
    let status = await cp.status();
    try {
      expect(status.map((s) => [s.component, s.running, s.healthy])).toEqual([
        ['etcd', true, true],
        ['kube-apiserver', true, true],
        ['kube-controller-manager', true, true],
        ['kube-scheduler', true, true],
        ['kwok', true, true],
      ]);

      // Without a scheduler a Pod stays unscheduled; once it is back the Pod lands.
      await cp.stop('kube-scheduler', { signal: 'SIGKILL' });
      expect((await cp.status()).find((s) => s.component === 'kube-scheduler')?.running).toBe(false);
      await api.createNamespacedPod({ namespace: 'default', body: pod('waits') });
      await consistently('the Pod unscheduled without a scheduler', async () => !(await api.readNamespacedPod({ name: 'waits', namespace: 'default' })).spec?.nodeName, 1_000);
      await cp.start('kube-scheduler');
      await waitFor('pod scheduled after the scheduler restart', async () => {
        return !!(await api.readNamespacedPod({ name: 'waits', namespace: 'default' })).spec?.nodeName;
      }, 30_000);

      // The API server restarts on the same port and keeps its data. The restart goes through
      // another handle on the same cluster (as a fault test or the CLI would): down() below must
      // still stop the process that handle started.
      await (await ControlPlane.open(cp.name))!.restart('kube-apiserver');
      expect((await api.readNamespacedPod({ name: 'waits', namespace: 'default' })).metadata?.name).toBe('waits');
      status = await cp.status();
    } finally {
      await cp.down();
    }

    const binaries = cp.binaries;
    const bins = [binaries.etcd, binaries.kubeApiserver, binaries.kubeControllerManager, binaries.kubeScheduler, binaries.kwok];
    status.forEach((s, i) => expect(isRunning(s.pid, bins[i]!)).toBe(false));
    const state = new URL(cp.server).port;
    expect(await portInUse(Number(state))).toBe(false);
    expect(await ControlPlane.open(cp.name)).toBeUndefined();
    expect(processesMentioning(cp.dir)).toEqual([]);
  });

  it('sweeps a cluster whose owning process died', async () => {
    const { spawnSync } = await import('node:child_process');
    const deadPid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const cp = await ControlPlane.up({ name: `orphan-${process.pid}`, ownerPid: Number(deadPid), nodes: 1 });
    const pids = (await cp.status()).map((s) => s.pid);
    expect(pids.every((p) => typeof p === 'number')).toBe(true);

    await ControlPlane.sweepOrphans();

    expect(await ControlPlane.open(cp.name)).toBeUndefined();
    // Dead (a zombie its parent has yet to reap counts: it holds nothing).
    const bins = [cp.binaries.etcd, cp.binaries.kubeApiserver, cp.binaries.kubeControllerManager, cp.binaries.kubeScheduler, cp.binaries.kwok];
    pids.forEach((pid, i) => expect(isRunning(pid, bins[i]!)).toBe(false));
  });
});
