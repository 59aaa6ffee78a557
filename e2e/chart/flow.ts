/**
 * The chart e2e, step by step, on any {@link ChartCluster}: images built and loaded, the chart
 * installed, every program Ready where it really runs, the e2e suites against the installed
 * programs, the API server calling the webhook through its Service, an upgrade rolled with
 * claims made all along, a subset install, and uninstalls that leave the CRDs or nothing.
 *
 * The node tier's test (chart.node.int.test.ts) runs these steps one `it` each; `npm run
 * e2e:chart` and `npm run e2e:kind` (cli.ts) run the very same steps in order.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AdmissionregistrationV1Api, ApiextensionsV1Api, AppsV1Api, CoordinationV1Api, CoreV1Api, PolicyV1Api, RbacAuthorizationV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { SANDBOX, SANDBOX_CLAIM, SANDBOX_TEMPLATE, SANDBOX_WARM_POOL } from '@agent-sandbox/api';
import { KubeClient, type KubeObject } from '@agent-sandbox/runtime';
import { REAL_NODE_NAME, waitFor } from '@agent-sandbox/controlplane';
import {
  buildProgramImages,
  CHART_PROGRAMS,
  deepMerge,
  DEFAULT_NAMESPACE,
  DEFAULT_RELEASE,
  installChart,
  kubeConfigOf,
  uninstallChart,
  waitForRollout,
  type ChartCluster,
  type ChartProgram,
  type Installed,
  type ProgramImages,
  type StepId,
} from '@agent-sandbox/chart-tools';
import { INSTALLED_E2E_VALUES, INSTALLED_SUITES, reportsForbiddenLine } from '../support/installed-programs.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const CONTROLLERS: readonly ChartProgram[] = ['sandbox-controller', 'claim-controller', 'warmpool-orchestrator', 'ttl-reaper'];
const PART_OF = 'app.kubernetes.io/part-of=agent-sandbox';

type Obj = KubeObject & { spec?: any; status?: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface ChartE2e {
  cluster: ChartCluster;
  release: string;
  namespace: string;
  log: (line: string) => void;
  images?: ProgramImages;
  installed?: Installed;
  /** What the steps measured (seconds, counts), for the report. */
  figures: Record<string, number | string>;
}

export interface Step {
  id: Exclude<StepId, 'cluster' | 'down'>;
  title: string;
  run(e: ChartE2e): Promise<void>;
}

export function chartE2e(cluster: ChartCluster, log: (line: string) => void = (l) => console.error(`chart-e2e: ${l}`)): ChartE2e {
  return { cluster, release: DEFAULT_RELEASE, namespace: DEFAULT_NAMESPACE, log, figures: {} };
}

const seconds = (since: number) => Math.round((Date.now() - since) / 100) / 10;
const kc = (e: ChartE2e): KubeConfig => kubeConfigOf(e.cluster);

async function podLogs(e: ChartE2e, pod: V1Pod): Promise<Array<Record<string, unknown>>> {
  const text = await kc(e).makeApiClient(CoreV1Api).readNamespacedPodLog({ name: pod.metadata!.name!, namespace: pod.metadata!.namespace! });
  return String(text)
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return { msg: l };
      }
    });
}

/** Fails on any 403 in the logs of the release's Pods (the chart's RBAC is the programs' shipped RBAC). */
async function noForbiddenInLogs(e: ChartE2e): Promise<void> {
  const pods = (await kc(e).makeApiClient(CoreV1Api).listNamespacedPod({ namespace: e.namespace, labelSelector: PART_OF })).items.filter((p) => !p.metadata!.deletionTimestamp);
  const refused: string[] = [];
  for (const pod of pods) {
    // A Pod may finish going between the list and the read.
    const lines = await podLogs(e, pod).catch((err: { code?: number }) => (err.code === 404 ? [] : Promise.reject(err)));
    for (const line of lines.filter(reportsForbiddenLine)) refused.push(`${pod.metadata!.name}: ${JSON.stringify(line)}`);
  }
  assert.deepEqual(refused, [], `installed programs were refused by RBAC (403):\n${refused.slice(0, 10).join('\n')}`);
}

/** The release's objects left in the cluster: namespaced in the release namespace, and cluster-wide. */
async function leftovers(e: ChartE2e): Promise<{ crds: string[]; others: string[] }> {
  const k = kc(e);
  const ns = e.namespace;
  const sel = { labelSelector: PART_OF };
  const names = (items: Array<{ metadata?: { name?: string } }>, kind: string) => items.map((i) => `${kind}/${i.metadata?.name}`);
  const core = k.makeApiClient(CoreV1Api);
  const rbac = k.makeApiClient(RbacAuthorizationV1Api);
  const adm = k.makeApiClient(AdmissionregistrationV1Api);
  const others = [
    ...names((await k.makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: ns, ...sel })).items, 'Deployment'),
    // Pods still stopping count too: a webhook Pod draining for its shutdown delay still serves
    // behind a new install's Service (kube-proxy sends to a terminating endpoint while none is
    // Ready) with the certificate of the uninstalled release.
    ...names((await core.listNamespacedPod({ namespace: ns, ...sel })).items, 'Pod'),
    ...names((await core.listNamespacedServiceAccount({ namespace: ns, ...sel })).items, 'ServiceAccount'),
    ...names((await core.listNamespacedService({ namespace: ns, ...sel })).items, 'Service'),
    ...names((await core.listNamespacedSecret({ namespace: ns, ...sel })).items, 'Secret'),
    ...names((await core.listNamespacedConfigMap({ namespace: ns, ...sel })).items, 'ConfigMap'),
    ...names((await k.makeApiClient(PolicyV1Api).listNamespacedPodDisruptionBudget({ namespace: ns, ...sel })).items, 'PodDisruptionBudget'),
    ...names((await rbac.listNamespacedRole({ namespace: ns, ...sel })).items, 'Role'),
    ...names((await rbac.listNamespacedRoleBinding({ namespace: ns, ...sel })).items, 'RoleBinding'),
    ...names((await rbac.listClusterRole(sel)).items, 'ClusterRole'),
    ...names((await rbac.listClusterRoleBinding(sel)).items, 'ClusterRoleBinding'),
    ...names((await adm.listMutatingWebhookConfiguration(sel)).items, 'MutatingWebhookConfiguration'),
    ...names((await adm.listValidatingWebhookConfiguration(sel)).items, 'ValidatingWebhookConfiguration'),
    // Helm's own record of the release.
    ...names((await core.listNamespacedSecret({ namespace: ns, labelSelector: `owner=helm,name=${e.release}` })).items, 'Secret'),
  ];
  // Cluster-wide names come from rbac.yaml; check them by name too, labels or not.
  for (const p of CHART_PROGRAMS) {
    for (const [kind, read] of [
      ['ClusterRole', () => rbac.readClusterRole({ name: `agent-sandbox-${p}` })],
      ['ClusterRoleBinding', () => rbac.readClusterRoleBinding({ name: `agent-sandbox-${p}` })],
    ] as const) {
      const found = await read().then(() => true, (err: { code?: number }) => (err.code === 404 ? false : Promise.reject(err)));
      if (found && !others.includes(`${kind}/agent-sandbox-${p}`)) others.push(`${kind}/agent-sandbox-${p}`);
    }
  }
  // The controllers' leader-election Leases are the chart's (a Pod stopped by the uninstall can
  // no longer release, nor remove, one of its own): none may be left, held or not.
  const leases = (await k.makeApiClient(CoordinationV1Api).listNamespacedLease({ namespace: ns })).items.filter((l) => (CHART_PROGRAMS as readonly string[]).includes(l.metadata!.name!));
  for (const l of leases) others.push(`Lease/${l.metadata!.name}${l.spec?.holderIdentity ? ` (held by ${l.spec.holderIdentity})` : ''}`);
  const crds = (await k.makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition()).items.map((c) => c.metadata!.name!).filter((n) => n.includes('agents.x-k8s.io'));
  return { crds: crds.sort(), others: others.sort() };
}

/** Waits until `done(leftovers)`; the error names what is still there. */
async function untilGone(e: ChartE2e, done: (left: { crds: string[]; others: string[] }) => boolean, what: string): Promise<void> {
  let left: { crds: string[]; others: string[] } = { crds: [], others: [] };
  try {
    await waitFor(what, async () => done((left = await leftovers(e))), 120_000, 500);
  } catch (err) {
    throw new Error(`${(err as Error).message}; still there: ${JSON.stringify(left)}`, { cause: err });
  }
}

const EXPECTED_CRDS = ['sandboxclaims.extensions.agents.x-k8s.io', 'sandboxes.agents.x-k8s.io', 'sandboxtemplates.extensions.agents.x-k8s.io', 'sandboxwarmpools.extensions.agents.x-k8s.io'];

/** A namespace of the step's own (deleted at the end of the step). */
async function withNamespace<T>(e: ChartE2e, prefix: string, fn: (ns: string, admin: KubeClient) => Promise<T>): Promise<T> {
  const core = kc(e).makeApiClient(CoreV1Api);
  const ns = `${prefix}-${Math.random().toString(16).slice(2, 8)}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await waitFor(`ServiceAccount default in ${ns}`, async () => {
    await core.readNamespacedServiceAccount({ name: 'default', namespace: ns });
    return true;
  }, 60_000, 100);
  const admin = new KubeClient(kc(e));
  try {
    return await fn(ns, admin);
  } finally {
    admin.close();
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
  }
}

function sandbox(ns: string, name: string, spec: Record<string, unknown> = {}): Obj {
  return {
    apiVersion: SANDBOX.apiVersion,
    kind: 'Sandbox',
    metadata: { name, namespace: ns },
    spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'registry.example/runtime:1' }], ...spec } } },
  };
}

const readyOf = (o: Obj) => (o.status?.conditions as Array<{ type: string; status: string; reason: string; message?: string }> | undefined)?.find((c) => c.type === 'Ready');

/** The webhook's answers through the API server: a privileged Sandbox refused, a plain one defaulted. */
async function webhookAnswers(e: ChartE2e, ns: string, admin: KubeClient): Promise<void> {
  const refused = await admin.create(SANDBOX, sandbox(ns, 'privileged', { hostPID: true })).then(
    () => 'admitted',
    (err: Error) => err.message,
  );
  assert.match(refused, /admission webhook "validate\.agents\.x-k8s\.io" denied the request/);
  assert.match(refused, /spec\.podTemplate\.spec\.hostPID: Forbidden/);
  const stored = await admin.create<Obj>(SANDBOX, sandbox(ns, 'plain'));
  assert.equal(stored.spec.podTemplate.spec.automountServiceAccountToken, false, 'the webhook defaulted automountServiceAccountToken');
  assert.deepEqual(stored.spec.podTemplate.spec.securityContext?.seccompProfile, { type: 'RuntimeDefault' });
  e.log('webhook: privileged Sandbox refused, plain one defaulted');
}

export const STEPS: readonly Step[] = [
  {
    id: 'images',
    title: 'builds the five programs\' images (tools/images) into one archive',
    async run(e) {
      const started = Date.now();
      e.images = await buildProgramImages(CHART_PROGRAMS, e.log);
      e.figures.imagesSeconds = seconds(started);
      for (const img of e.images.images) e.figures[`image ${img.repository.split('/').pop()} MB`] = Math.round(img.compressedSize / 1e5) / 10;
      assert.equal(e.images.images.length, CHART_PROGRAMS.length);
    },
  },
  {
    id: 'load',
    title: 'loads the images onto the cluster\'s nodes',
    async run(e) {
      const started = Date.now();
      await e.cluster.loadImages(e.images!.archive);
      e.figures.loadSeconds = seconds(started);
    },
  },
  {
    id: 'install',
    title: 'helm install: every program\'s Deployment rolls out',
    async run(e) {
      e.installed = await installChart(e.cluster, e.images!, { release: e.release, namespace: e.namespace, values: INSTALLED_E2E_VALUES });
      e.figures.installToReadySeconds = e.installed.seconds;
      e.log(`installed in ${e.installed.seconds} s`);
    },
  },
  {
    id: 'ready',
    title: 'every program runs on a real node, in-cluster, as its chart-made ServiceAccount',
    async run(e) {
      const k = kc(e);
      const leases = k.makeApiClient(CoordinationV1Api);
      for (const program of CHART_PROGRAMS) {
        const pods = e.installed!.pods[program]!;
        assert.equal(pods.length, 1, `${program}: one Ready Pod`);
        const pod = pods[0]!;
        if (e.cluster.flavour === 'local') assert.equal(pod.spec!.nodeName, REAL_NODE_NAME, `${program} runs on the real node`);
        assert.equal(pod.spec!.serviceAccountName, program, `${program} runs as its chart-made ServiceAccount`);
        const container = pod.spec!.containers[0]!;
        assert.ok(!(container.args ?? []).some((a) => a.startsWith('--kubeconfig')), `${program} is given no kubeconfig`);
        assert.ok(!(container.env ?? []).some((v) => v.name === 'KUBECONFIG'), `${program} has no KUBECONFIG`);
        assert.equal(container.image, e.images!.refs[program], `${program} runs the image just built`);
        const status = pod.status!.containerStatuses![0]!;
        assert.equal(status.restartCount, 0, `${program} never restarted`);
        await k.makeApiClient(CoreV1Api).readNamespacedServiceAccount({ name: program, namespace: e.namespace });
      }
      // The controllers reached the API server from their Pods, in-cluster, as themselves: each
      // holds its Lease in the release namespace, which only its ServiceAccount may write.
      for (const program of CONTROLLERS) {
        const pod = e.installed!.pods[program]![0]!.metadata!.name!;
        await waitFor(`${program}'s Pod to hold its Lease`, async () => {
          const lease = await leases.readNamespacedLease({ name: program, namespace: e.namespace });
          return (lease.spec?.holderIdentity ?? '').startsWith(`${pod}_`);
        }, 60_000, 200);
      }
      const lines = await podLogs(e, e.installed!.pods['admission-webhook']![0]!);
      assert.ok(lines.some((l) => l.msg === 'started'), 'the webhook logged that it started');
      await noForbiddenInLogs(e);
    },
  },
  {
    id: 'suites',
    title: 'the claims, sandbox-controller and ttl-reaper suites pass against the installed programs',
    async run(e) {
      const report = join(ROOT, 'tmp', `chart-e2e-suites-${process.pid}.json`);
      rmSync(report, { force: true });
      const started = Date.now();
      const env: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VITEST') && k !== 'NODE_OPTIONS' && k !== 'TEST') env[k] = v;
      Object.assign(env, {
        KUBECONFIG: e.cluster.kubeconfigPath,
        AGENT_SANDBOX_REAL_NODE: '0',
        AGENT_SANDBOX_E2E_PROGRAMS: 'installed',
        AGENT_SANDBOX_E2E_RELEASE_NAMESPACE: e.namespace,
      });
      const args = [
        join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'),
        'run',
        '--config',
        join(ROOT, 'tools', 'test', 'vitest.config.ts'),
        '--project',
        'integration',
        '--reporter=default',
        '--reporter=json',
        `--outputFile.json=${report}`,
        ...INSTALLED_SUITES,
      ];
      const child = spawn(join(ROOT, 'node_modules', '.bin', 'node'), args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
      e.figures.suitesSeconds = seconds(started);
      assert.ok(existsSync(report), `the suites wrote no report (exit ${code}):\n${output.slice(-4000)}`);
      const r = JSON.parse(readFileSync(report, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number; numTotalTestSuites: number };
      e.figures.suitesPassed = r.numPassedTests;
      e.figures.suitesFailed = r.numFailedTests;
      e.log(`suites against the installed programs: ${r.numPassedTests} passed, ${r.numFailedTests} failed in ${e.figures.suitesSeconds} s`);
      assert.equal(code, 0, `the suites failed against the installed programs:\n${output.slice(-6000)}`);
      assert.equal(r.numFailedTests, 0);
      assert.equal(r.numPendingTests + r.numTodoTests, 0, 'no suite skipped');
      assert.ok(r.numPassedTests >= INSTALLED_SUITES.length, 'the suites ran');
    },
  },
  {
    id: 'webhook',
    title: 'the API server calls the installed webhook through its Service',
    async run(e) {
      const adm = kc(e).makeApiClient(AdmissionregistrationV1Api);
      for (const cfg of [await adm.readMutatingWebhookConfiguration({ name: 'agent-sandbox-admission' }), await adm.readValidatingWebhookConfiguration({ name: 'agent-sandbox-admission' })]) {
        for (const hook of cfg.webhooks ?? []) {
          assert.equal(hook.clientConfig.url, undefined);
          assert.deepEqual({ name: hook.clientConfig.service?.name, namespace: hook.clientConfig.service?.namespace }, { name: 'admission-webhook', namespace: e.namespace });
          assert.match(hook.clientConfig.caBundle ?? '', /^[A-Za-z0-9+/]+=*$/);
        }
      }
      await withNamespace(e, 'chart-webhook', (ns, admin) => webhookAnswers(e, ns, admin));
      const pod = e.installed!.pods['admission-webhook']![0]!;
      const metrics = await new KubeClient(kc(e)).getText(`/api/v1/namespaces/${e.namespace}/pods/${pod.metadata!.name}:8081/proxy/metrics`);
      const reviews = metrics.split('\n').filter((l) => l.startsWith('agent_sandbox_webhook_reviews_total{') && l.includes('kind="Sandbox"'));
      assert.ok(reviews.some((l) => l.includes('verdict="denied"')), `the installed webhook counted the denial: ${reviews.join('\n')}`);
      assert.ok(reviews.some((l) => l.includes('verdict="patched"')), 'the installed webhook counted the defaulting');
    },
  },
  {
    id: 'upgrade',
    title: 'helm upgrade with a changed value rolls every Deployment; claims made meanwhile all become Ready',
    async run(e) {
      const k = kc(e);
      const core = k.makeApiClient(CoreV1Api);
      const before = new Set(Object.values(e.installed!.pods).flat().map((p) => p.metadata!.uid!));
      await withNamespace(e, 'chart-upgrade', async (ns, admin) => {
        await admin.create(SANDBOX_TEMPLATE, { apiVersion: SANDBOX_TEMPLATE.apiVersion, kind: 'SandboxTemplate', metadata: { name: 'tpl', namespace: ns }, spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'registry.example/runtime:1' }] } } } });
        await admin.create(SANDBOX_WARM_POOL, { apiVersion: SANDBOX_WARM_POOL.apiVersion, kind: 'SandboxWarmPool', metadata: { name: 'pool', namespace: ns }, spec: { replicas: 3, sandboxTemplateRef: { name: 'tpl' } } });
        const created: string[] = [];
        const refusedCreates: string[] = [];
        let rolling = true;
        const maker = (async () => {
          for (let i = 0; rolling; i++) {
            const name = `c-${i}`;
            try {
              await admin.create(SANDBOX_CLAIM, { apiVersion: SANDBOX_CLAIM.apiVersion, kind: 'SandboxClaim', metadata: { name, namespace: ns }, spec: { warmPoolRef: { name: 'pool' } } });
              created.push(name);
            } catch (err) {
              refusedCreates.push(`${name}: ${(err as Error).message}`);
            }
            await new Promise((r) => setTimeout(r, 250));
          }
        })();
        // Claims before, during and after the roll.
        await new Promise((r) => setTimeout(r, 2_000));
        const started = Date.now();
        const values = Object.fromEntries(CHART_PROGRAMS.map((p) => [p, { logLevel: 'debug' }]));
        try {
          e.installed = await installChart(e.cluster, e.images!, { release: e.release, namespace: e.namespace, values: deepMerge(INSTALLED_E2E_VALUES, values) });
        } finally {
          await new Promise((r) => setTimeout(r, 2_000));
          rolling = false;
          await maker;
        }
        e.figures.upgradeRollSeconds = seconds(started);
        e.figures.claimsDuringRoll = created.length;
        assert.deepEqual(refusedCreates, [], 'no claim was refused during the roll');
        assert.ok(created.length >= 10, `claims were made during the roll (${created.length})`);
        let notReady: string[] = [];
        const readyStarted = Date.now();
        try {
          await waitFor(`all ${created.length} claims Ready`, async () => {
            const claims = (await admin.list<Obj>(SANDBOX_CLAIM, { namespace: ns })).items;
            notReady = claims.filter((c) => readyOf(c)?.status !== 'True').map((c) => `${c.metadata.name}: ${JSON.stringify(readyOf(c) ?? 'no Ready condition')}`);
            return claims.length === created.length && notReady.length === 0;
          }, 120_000, 500);
        } catch (err) {
          throw new Error(`${(err as Error).message}; not Ready:\n${notReady.slice(0, 20).join('\n')}`, { cause: err });
        }
        e.figures.lastClaimReadyAfterRollSeconds = seconds(readyStarted);
      });
      // Every Pod is new, runs the changed value, and the programs are healthy.
      for (const program of CHART_PROGRAMS) {
        const pods = e.installed!.pods[program]!;
        assert.equal(pods.length, 1);
        assert.ok(!before.has(pods[0]!.metadata!.uid!), `${program} was rolled`);
        assert.ok(pods[0]!.spec!.containers[0]!.args!.includes('--log-level=debug'), `${program} runs with the changed value`);
      }
      // The old Pods may still be stopping (the webhook drains for its shutdown delay first).
      let old: string[] = [];
      await waitFor('the old Pods to be gone', async () => {
        old = (await core.listNamespacedPod({ namespace: e.namespace, labelSelector: PART_OF })).items.filter((p) => before.has(p.metadata!.uid!)).map((p) => p.metadata!.name!);
        return old.length === 0;
      }, 90_000, 500).catch(() => undefined);
      assert.deepEqual(old, [], 'the old Pods are gone');
      await noForbiddenInLogs(e);
    },
  },
  {
    id: 'subset',
    title: 'uninstall keeps the CRDs; the sandbox-controller and the webhook alone work',
    async run(e) {
      await uninstallChart(e.cluster, e.release, e.namespace);
      await untilGone(e, (left) => left.others.length === 0, 'the release\'s objects to go');
      const left = await leftovers(e);
      assert.deepEqual(left, { crds: EXPECTED_CRDS, others: [] }, 'uninstall with crds.keep leaves the CRDs and nothing else');

      const programs: ChartProgram[] = ['sandbox-controller', 'admission-webhook'];
      e.installed = await installChart(e.cluster, e.images!, { release: e.release, namespace: e.namespace, programs, crds: { keep: false }, values: INSTALLED_E2E_VALUES });
      const deployments = (await kc(e).makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: e.namespace, labelSelector: PART_OF })).items.map((d) => d.metadata!.name).sort();
      assert.deepEqual(deployments, ['admission-webhook', 'sandbox-controller']);
      await withNamespace(e, 'chart-subset', async (ns, admin) => {
        await webhookAnswers(e, ns, admin);
        await waitFor('the Sandbox Ready (its Pod made by the installed sandbox-controller)', async () => readyOf(await admin.get<Obj>(SANDBOX, { namespace: ns, name: 'plain' }))?.status === 'True', 60_000, 200);
      });
      await waitForRollout(kc(e), e.namespace, programs);
      await noForbiddenInLogs(e);
    },
  },
  {
    id: 'uninstall',
    title: 'uninstall without crds.keep leaves nothing',
    async run(e) {
      await uninstallChart(e.cluster, e.release, e.namespace);
      await untilGone(e, (left) => left.others.length === 0 && left.crds.length === 0, 'the release\'s objects and CRDs to go');
      assert.deepEqual(await leftovers(e), { crds: [], others: [] });
      e.installed = undefined;
    },
  },
];
