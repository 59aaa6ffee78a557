/**
 * The whole data plane on the cluster's real node, for the node-tier suites and the data-plane
 * benchmark: the sandbox-runtime and sandbox-router images built and loaded into the node's
 * containerd, the router installed from its Helm chart, the controllers (sandbox-controller,
 * claim-controller, warmpool-orchestrator) as host processes with exactly their shipped RBAC, a
 * SandboxTemplate whose container is our runtime and a warm pool of it, and callers with
 * chosen rights.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SANDBOX, SANDBOX_CLAIM, SANDBOX_TEMPLATE, SANDBOX_WARM_POOL } from '@agent-sandbox/api';
import { buildProgramImages, helm as helmOk, realNodeRuntimePodSpec } from '@agent-sandbox/chart-tools';
import { httpGet, REAL_NODE_PLACEMENT, waitFor, type ControlPlane } from '@agent-sandbox/controlplane';
import { Kinds, type KubeObject } from '@agent-sandbox/runtime';
import type { KubeConfig } from '@kubernetes/client-node';
import { callerToken, kubeconfigFor } from './data-plane.ts';
import { programSuite, reportsForbidden, ROOT, type ProgramProcess, type ProgramSuite } from './programs.ts';

const ROUTER_CHART = join(ROOT, 'deploy', 'charts', 'agent-sandbox', 'charts', 'sandbox-router');
const ROUTER_RELEASE = 'sandbox-router';

/** The data plane's images, as tools/chart's shared install module builds any program's image. */
export const DATA_PLANE_PROGRAMS = ['sandbox-runtime', 'sandbox-router'] as const;

/**
 * Builds the sandbox-runtime and sandbox-router images (the image cache makes a rebuild take
 * seconds) and loads them into the real node's containerd, one archive for both.
 */
export async function loadDataPlaneImages(cluster: ControlPlane): Promise<{ runtime: string; router: string }> {
  const node = cluster.realNode;
  if (!node) throw new Error(`cluster ${cluster.name} has no real node: the data plane needs one`);
  for (const p of DATA_PLANE_PROGRAMS) {
    if (!existsSync(join(ROOT, 'apps', p, 'dist', 'main.js'))) throw new Error(`apps/${p}/dist/main.js is missing: run \`npm run build\` first`);
  }
  const images = await buildProgramImages(DATA_PLANE_PROGRAMS);
  await node.importImages(images.archive);
  return { runtime: images.refs['sandbox-runtime']!, router: images.refs['sandbox-router']! };
}

function helm(args: string[], kubeconfigPath: string): Promise<string> {
  return helmOk([...args, '--kubeconfig', kubeconfigPath]);
}

export interface DataPlane {
  suite: ProgramSuite;
  /** The namespace of the sandboxes, the router and the callers. */
  ns: string;
  /** The router's Service, as the host reaches it (kube-proxy serves ClusterIPs to the host). */
  routerUrl: string;
  /** A user of the SDK: may manage claims in the namespace, nothing else. */
  agentKubeconfig: string;
  agentToken: string;
  /** A caller with no rights at all. */
  strangerToken: string;
  /** A caller that may get Sandboxes (but not claims). */
  inspectorToken: string;
  templateName: string;
  poolName: string;
  runtimeImage: string;
  controllers: ProgramProcess[];
  /** The router Pod's log lines (JSON), read now. */
  routerLogs(): Promise<Array<Record<string, unknown>>>;
  /** Waits until the pool has `replicas` Ready members; returns their names. */
  waitForPool(replicas: number, timeoutMs?: number): Promise<string[]>;
  teardown(): Promise<void>;
}

export interface DataPlaneOptions {
  prefix: string;
  poolSize: number;
  cluster: ControlPlane;
  kubeconfigPath: string;
  kc: KubeConfig;
  /** Extra router chart values (`--set` pairs). */
  routerValues?: string[];
}

/** Everything in the module comment, Ready; `teardown` removes it all (and fails on a 403 any program logged). */
export async function startDataPlane(options: DataPlaneOptions): Promise<DataPlane> {
  const images = await loadDataPlaneImages(options.cluster);
  const suite = await programSuite(options.prefix, options.kc);
  const ns = suite.ns.name;
  const dir = mkdtempSync(join(tmpdir(), `${options.prefix}-`));
  let routerInstalled = false;
  const teardown = async () => {
    if (routerInstalled) await helm(['uninstall', ROUTER_RELEASE, '--namespace', ns, '--wait=false'], options.kubeconfigPath).catch(() => undefined);
    await suite.teardown();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const controllers = await Promise.all([
      suite.start('sandbox-controller'),
      suite.start('claim-controller'),
      suite.start('warmpool-orchestrator'),
    ]);

    routerInstalled = true;
    await helm(
      [
        'install',
        ROUTER_RELEASE,
        ROUTER_CHART,
        '--namespace',
        ns,
        '--set',
        'global.image.pullPolicy=Never',
        '--set',
        `watchNamespace=${ns}`,
        '--set',
        'shutdownTimeoutSeconds=5',
        // A shared 2-core test machine can be loaded far past its cores: a probe that waits 1 s
        // would have the kubelet restart a healthy router in the middle of a test.
        '--set',
        'livenessProbe.timeoutSeconds=5',
        '--set',
        'livenessProbe.failureThreshold=6',
        '--set',
        'readinessProbe.timeoutSeconds=5',
        '--set-json',
        `nodeSelector=${JSON.stringify(REAL_NODE_PLACEMENT.nodeSelector)}`,
        '--set-json',
        `tolerations=${JSON.stringify(REAL_NODE_PLACEMENT.tolerations)}`,
        ...(options.routerValues ?? []).flatMap((v) => ['--set', v]),
      ],
      options.kubeconfigPath,
    );

    const templateName = 'python-runtime';
    const poolName = 'python';
    await suite.admin.create(SANDBOX_TEMPLATE, {
      apiVersion: SANDBOX_TEMPLATE.apiVersion,
      kind: SANDBOX_TEMPLATE.kind,
      metadata: { name: templateName, namespace: ns },
      spec: { podTemplate: { spec: realNodeRuntimePodSpec(images.runtime) } },
    });
    await suite.admin.create(SANDBOX_WARM_POOL, {
      apiVersion: SANDBOX_WARM_POOL.apiVersion,
      kind: SANDBOX_WARM_POOL.kind,
      metadata: { name: poolName, namespace: ns },
      spec: { replicas: options.poolSize, sandboxTemplateRef: { name: templateName } },
    });

    const agentToken = await callerToken(suite.admin, ns, 'agent', [
      { apiGroups: [SANDBOX_CLAIM.group], resources: [SANDBOX_CLAIM.plural], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
    ]);
    const strangerToken = await callerToken(suite.admin, ns, 'stranger', []);
    const inspectorToken = await callerToken(suite.admin, ns, 'inspector', [{ apiGroups: [SANDBOX.group], resources: [SANDBOX.plural], verbs: ['get'] }]);

    const routerPod = async (): Promise<KubeObject | undefined> => {
      const pods = await suite.admin.list<KubeObject>(Kinds.Pod, { namespace: ns, query: { labelSelector: 'app.kubernetes.io/name=sandbox-router' } });
      return pods.items.find((p) => !p.metadata.deletionTimestamp);
    };
    await waitFor('the router Pod to be Ready', async () => {
      const pod = (await routerPod()) as (KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }) | undefined;
      return !!pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    }, 120_000, 250);
    const service = await suite.admin.get<KubeObject & { spec: { clusterIP: string; ports: Array<{ port: number }> } }>(Kinds.Service, { namespace: ns, name: 'sandbox-router' });
    const routerUrl = `http://${service.spec.clusterIP}:${service.spec.ports[0]!.port}`;
    // A request naming no sandbox gets the router's own 400: the Service reaches it from the host.
    await waitFor('the router Service to answer from the host', async () => (await httpGet(`${routerUrl}/`, {}, 1000).catch(() => ({ status: 0 }))).status === 400, 30_000, 200);

    const waitForPool = async (replicas: number, timeoutMs = 120_000): Promise<string[]> => {
      let members: string[] = [];
      await waitFor(`warm pool ${poolName} to have ${replicas} Ready members`, async () => {
        const pool = await suite.admin.get<KubeObject & { status?: { readyReplicas?: number } }>(SANDBOX_WARM_POOL, { namespace: ns, name: poolName });
        if ((pool.status?.readyReplicas ?? 0) < replicas) return false;
        const sandboxes = await suite.admin.list<KubeObject>(SANDBOX, { namespace: ns, query: { labelSelector: 'agents.x-k8s.io/warm-pool-sandbox' } });
        members = sandboxes.items
          .filter((s) => !s.metadata.deletionTimestamp && ((s as { status?: { conditions?: Array<{ type: string; status: string }> } }).status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'))
          .map((s) => s.metadata.name!);
        return members.length >= replicas;
      }, timeoutMs, 250);
      return members;
    };

    return {
      suite,
      ns,
      routerUrl,
      agentKubeconfig: kubeconfigFor(agentToken, ns, dir, options.kc),
      agentToken,
      strangerToken,
      inspectorToken,
      templateName,
      poolName,
      runtimeImage: images.runtime,
      controllers,
      async routerLogs() {
        const pod = await routerPod();
        if (!pod) return [];
        const text = await suite.admin.getText(`/api/v1/namespaces/${ns}/pods/${pod.metadata.name}/log`);
        return text
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
      },
      waitForPool,
      teardown,
    };
  } catch (err) {
    await teardown().catch(() => undefined);
    throw err;
  }
}

/** Router log lines that report a request refused by RBAC: its chart's ClusterRole is short of something. */
export function forbiddenRouterLines(lines: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  return lines.filter(reportsForbidden);
}
