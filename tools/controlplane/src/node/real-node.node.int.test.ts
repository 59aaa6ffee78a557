import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet, waitFor } from '../http-probe.ts';
import { createTestNamespace, localControlPlane, testKubeConfig, type TestNamespace } from '../testing/index.ts';
import { kubectl, portForward, realNodePod, testImages, waitForPodDone, waitForPodReady } from '../testing/real-node.ts';
import { REAL_NODE_NAME } from './addresses.ts';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const images = testImages();

/** agnhost's netexec: an HTTP server on 8080 that also dials others on request (/dial). */
const netexec = (name: string) =>
  realNodePod(name, [
    {
      name: 'netexec',
      image: images.agnhost,
      args: ['netexec', '--http-port=8080'],
      ports: [{ containerPort: 8080 }],
      readinessProbe: { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 1 },
    },
  ], {}, { app: name });

describe('the real node runs Pods for real', () => {
  let ns: TestNamespace;
  beforeAll(async () => {
    ns = await createTestNamespace('node');
    await Promise.all([
      core.createNamespacedPod({ namespace: ns.name, body: netexec('server') }),
      core.createNamespacedPod({ namespace: ns.name, body: netexec('client') }),
      core.createNamespacedService({
        namespace: ns.name,
        body: { metadata: { name: 'server' }, spec: { selector: { app: 'server' }, ports: [{ port: 80, targetPort: 8080 }] } },
      }),
    ]);
    await Promise.all([waitForPodReady(ns.name, 'server'), waitForPodReady(ns.name, 'client')]);
  });
  afterAll(async () => ns.remove());

  it('schedules only Pods that ask for it onto the real node', async () => {
    const server = await core.readNamespacedPod({ name: 'server', namespace: ns.name });
    expect(server.spec?.nodeName).toBe(REAL_NODE_NAME);
    await core.createNamespacedPod({ namespace: ns.name, body: { metadata: { name: 'plain' }, spec: { containers: [{ name: 'c', image: images.agnhost }] } } });
    await waitFor('the plain pod to be scheduled', async () => !!(await core.readNamespacedPod({ name: 'plain', namespace: ns.name })).spec?.nodeName, 30_000);
    expect((await core.readNamespacedPod({ name: 'plain', namespace: ns.name })).spec?.nodeName).toMatch(/^kwok-node-\d+$/);
  });

  it('runs a real process from a locally built image that answers on its Pod IP', async () => {
    const server = await core.readNamespacedPod({ name: 'server', namespace: ns.name });
    const res = await httpGet(`http://${server.status!.podIP}:8080/hostname`);
    expect(res).toEqual({ status: 200, body: 'server' });
  });

  it('lets a Pod reach another through a ClusterIP Service by its DNS name', async () => {
    const client = await core.readNamespacedPod({ name: 'client', namespace: ns.name });
    const host = `server.${ns.name}.svc.cluster.local`;
    // kube-proxy programs a new Service within moments; until then the dial reports errors.
    let last: unknown;
    await waitFor(`client to reach ${host}`, async () => {
      const res = await httpGet(`http://${client.status!.podIP}:8080/dial?request=hostname&protocol=http&host=${host}&port=80&tries=1`);
      last = JSON.parse(res.body);
      return res.status === 200 && !('errors' in (last as object));
    }, 15_000).catch((err: Error) => {
      throw new Error(`${err.message}; last answer: ${JSON.stringify(last)}`);
    });
    expect(last).toEqual({ responses: ['server'] });
  });

  it('serves ClusterIP Services to the host', async () => {
    const svc = await core.readNamespacedService({ name: 'server', namespace: ns.name });
    await waitFor('the Service to answer from the host', async () => (await httpGet(`http://${svc.spec!.clusterIP}/hostname`, {}, 500)).body === 'server', 15_000);
  });

  it('serves logs, exec and port-forward through the API server and the kubelet', async () => {
    const logs = await core.readNamespacedPodLog({ name: 'server', namespace: ns.name });
    expect(logs).toContain('Started HTTP server on port 8080');

    const exec = await kubectl(['exec', '-n', ns.name, 'server', '--', '/agnhost', 'dns-suffix']);
    expect(exec.status).toBe(0);
    expect(exec.stdout.trim()).toBe(`${ns.name}.svc.cluster.local,svc.cluster.local,cluster.local`);

    const forward = await portForward(ns.name, 'pod/server', 8080);
    try {
      expect(await httpGet(`http://127.0.0.1:${forward.port}/hostname`)).toEqual({ status: 200, body: 'server' });
    } finally {
      forward.stop();
    }
  });

  it('refuses kubelet API calls without valid credentials', async () => {
    const node = await core.readNode({ name: REAL_NODE_NAME });
    const address = node.status!.addresses!.find((a) => a.type === 'InternalIP')!.address;
    // No client certificate: the kubelet does not serve anonymous requests.
    const anonymous = await httpGet(`https://${address}:10250/pods`, { insecure: true });
    expect(anonymous.status).toBe(401);
  });
});

describe('in-cluster clients', () => {
  let ns: TestNamespace;
  beforeAll(async () => {
    ns = await createTestNamespace('node-incluster');
    await core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'lister' } } });
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createClusterRole({ body: { metadata: { name: `${ns.name}-namespace-lister` }, rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['list'] }] } });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: `${ns.name}-namespace-lister` },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${ns.name}-namespace-lister` },
        subjects: [{ kind: 'ServiceAccount', name: 'lister', namespace: ns.name }],
      },
    });
  });
  afterAll(async () => {
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.deleteClusterRoleBinding({ name: `${ns.name}-namespace-lister` }).catch(() => undefined);
    await rbac.deleteClusterRole({ name: `${ns.name}-namespace-lister` }).catch(() => undefined);
    await ns.remove();
  });

  /** kubectl in a Pod with no kubeconfig: it uses the in-cluster configuration (token, CA, kubernetes Service). */
  const kubectlPod = (name: string, args: string[]) =>
    realNodePod(name, [{ name: 'kubectl', image: images.kubectl, args, env: [{ name: 'HOME', value: '/tmp' }] }], {
      serviceAccountName: 'lister',
      restartPolicy: 'Never',
    });

  it('reaches the API server through the kubernetes Service with its ServiceAccount, within its RBAC', async () => {
    const endpoints = await kc.makeApiClient(CoreV1Api).readNamespacedEndpoints({ name: 'kubernetes', namespace: 'default' });
    expect(endpoints.subsets?.[0]?.addresses?.length).toBe(1);

    await core.createNamespacedPod({ namespace: ns.name, body: kubectlPod('allowed', ['get', 'namespaces', '-o', 'name']) });
    await core.createNamespacedPod({ namespace: ns.name, body: kubectlPod('refused', ['get', 'secrets', '-n', 'kube-system', '-o', 'name']) });
    const [allowed, refused] = await Promise.all([waitForPodDone(ns.name, 'allowed'), waitForPodDone(ns.name, 'refused')]);

    expect(allowed.status?.phase).toBe('Succeeded');
    const listed = await core.readNamespacedPodLog({ name: 'allowed', namespace: ns.name });
    expect(listed.split('\n')).toEqual(expect.arrayContaining(['namespace/default', `namespace/${ns.name}`]));

    expect(refused.status?.phase).toBe('Failed');
    const denial = await core.readNamespacedPodLog({ name: 'refused', namespace: ns.name });
    expect(denial).toContain(`secrets is forbidden: User "system:serviceaccount:${ns.name}:lister" cannot list resource "secrets"`);
  });
});

describe('node faults', () => {
  let ns: TestNamespace;
  beforeAll(async () => {
    ns = await createTestNamespace('node-restart');
    await core.createNamespacedPod({ namespace: ns.name, body: netexec('steady') });
    await waitForPodReady(ns.name, 'steady');
  });
  afterAll(async () => ns.remove());

  it('leaves running Pods alone when the kubelet or containerd restarts', async () => {
    const cp = await localControlPlane();
    if (!cp) throw new Error('this test restarts the local real node: run it without KUBECONFIG');
    const before = await core.readNamespacedPod({ name: 'steady', namespace: ns.name });
    const ip = before.status!.podIP!;
    const containerId = before.status!.containerStatuses![0]!.containerID;

    // The Pod answers all along: nothing restarts it, nothing tears down its network.
    let answered = 0;
    let failed = 0;
    let probing = true;
    const probe = (async () => {
      while (probing) {
        const ok = await httpGet(`http://${ip}:8080/hostname`, {}, 1_000).then((r) => r.status === 200, () => false);
        if (ok) answered++;
        else failed++;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      await cp.restart('kubelet');
      await cp.restart('containerd');
      await waitFor('the node to be Ready again', async () => {
        const n = await core.readNode({ name: REAL_NODE_NAME });
        return !!n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      }, 60_000);
    } finally {
      probing = false;
      await probe;
    }
    expect(failed).toBe(0);
    expect(answered).toBeGreaterThan(0);

    // The kubelet has seen the Pod again and reports the same container, never restarted.
    await waitFor('the kubelet to report the pod after its restart', async () => {
      const p = await core.readNamespacedPod({ name: 'steady', namespace: ns.name });
      return !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    }, 60_000);
    const after = await core.readNamespacedPod({ name: 'steady', namespace: ns.name });
    expect(after.status!.containerStatuses![0]!.containerID).toBe(containerId);
    expect(after.status!.containerStatuses![0]!.restartCount).toBe(0);
    expect(after.status!.podIP).toBe(ip);
  });
});
