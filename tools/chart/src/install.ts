/**
 * Installing the umbrella chart onto a cluster where the programs really run: their images built
 * by tools/images and loaded onto the cluster's nodes, `helm upgrade --install` with values that
 * point at those images and place the Pods where they can run, then a wait until every
 * Deployment has rolled out.
 *
 * One code path for both kinds of cluster: the local one with its real node (`npm run e2e:chart`,
 * the node test tier) and kind (`npm run e2e:kind`, hosted CI). Only how the cluster is made and
 * how the images reach its nodes differ ({@link ChartCluster}); everything else (the images, the
 * values, the helm commands, the waits) is shared, and {@link chartPlan} lists the steps of each
 * so a unit test can hold them to that.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiextensionsV1Api, AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, PatchStrategy, setHeaderOptions, type KubernetesObject, type V1Deployment, type V1Pod, type V1Toleration } from '@kubernetes/client-node';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { ControlPlane, ownStageDocuments, readVersions, REAL_NODE_PLACEMENT, REAL_NODE_TAINT, waitFor } from '@agent-sandbox/controlplane';
import { buildRecipe, DEFAULT_REGISTRY, imagesCacheDir, recipe, workspaceVersion, writeImagesArchive, type BuiltImage } from '@agent-sandbox/images';
import { helmOk } from './helm.ts';
import { UMBRELLA_DIR } from './paths.ts';

/** The programs the umbrella chart installs (one subchart each). */
export const CHART_PROGRAMS = ['sandbox-controller', 'claim-controller', 'warmpool-orchestrator', 'ttl-reaper', 'admission-webhook'] as const;
export type ChartProgram = (typeof CHART_PROGRAMS)[number];

/** Where the e2e runs install the chart unless told otherwise. */
export const DEFAULT_RELEASE = 'agent-sandbox';
export const DEFAULT_NAMESPACE = 'agent-sandbox-system';

export interface ProgramImages {
  /** Image reference of each program, as built (`localhost:5001/agent-sandbox/<program>:<tag>`). */
  refs: Record<string, string>;
  /** Registry host the references start with (the chart's `global.image.registry`). */
  registry: string;
  /** The tag every image has (the chart's `global.image.tag`). */
  tag: string;
  /** One archive with all of them (each layer once), for `ctr images import` or `kind load image-archive`. */
  archive: string;
  images: BuiltImage[];
}

/**
 * Builds the images of `programs` (recipe names of tools/images; their bundles must be built:
 * `npm run build`) into one archive. Seconds when the image cache has their layers.
 */
export async function buildProgramImages(programs: readonly string[] = CHART_PROGRAMS, progress: (line: string) => void = () => {}): Promise<ProgramImages> {
  const images: BuiltImage[] = [];
  for (const name of programs) {
    const started = Date.now();
    const img = await buildRecipe(recipe(name));
    progress(`image ${img.ref} ${img.digest.slice(0, 19)} ${(img.compressedSize / 1e6).toFixed(1)} MB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    images.push(img);
  }
  const archive = join(imagesCacheDir(), 'archives', `programs-${images.map((i) => i.digest.slice(7, 19)).join('-')}.tar`);
  if (!existsSync(archive)) await writeImagesArchive(images, archive);
  const refs = Object.fromEntries(programs.map((p, i) => [p, images[i]!.ref]));
  const tag = workspaceVersion();
  for (const img of images) {
    if (!img.ref.startsWith(`${DEFAULT_REGISTRY}/`) || img.tag !== tag) throw new Error(`image ${img.ref} is not named as the chart expects (${DEFAULT_REGISTRY}/…:${tag})`);
  }
  return { refs, registry: DEFAULT_REGISTRY, tag, archive, images };
}

export interface Placement {
  nodeSelector: Record<string, string>;
  tolerations: V1Toleration[];
}

/** A cluster the chart is installed onto: how it is made, reached, given images, and removed. */
export interface ChartCluster {
  flavour: 'local' | 'kind';
  name: string;
  kubeconfigPath: string;
  /** Where the programs' Pods must go to really run (the real node; anywhere on kind). */
  placement: Placement;
  /** `Never` where images are loaded onto the node (no registry to pull from). */
  pullPolicy: 'Never' | 'IfNotPresent';
  loadImages(archive: string): Promise<void>;
  down(): Promise<void>;
}

/**
 * The local control plane with its real node (Linux, root; the error names what is missing) and
 * kwok's simulated nodes, where the sandboxes the suites create are scheduled. Images go into the
 * node's containerd with `ctr images import`.
 */
export async function localCluster(name: string, options: { ownerPid?: number; progress?: (line: string) => void } = {}): Promise<ChartCluster> {
  const cp = await ControlPlane.up({ name, realNode: true, ...(options.ownerPid ? { ownerPid: options.ownerPid } : {}), progress: options.progress ?? (() => {}) });
  const node = cp.realNode;
  if (!node) {
    await cp.down();
    throw new Error(`cluster "${name}" has no real node`);
  }
  return {
    flavour: 'local',
    name,
    kubeconfigPath: cp.kubeconfigPath,
    placement: { nodeSelector: { ...REAL_NODE_PLACEMENT.nodeSelector }, tolerations: REAL_NODE_PLACEMENT.tolerations.map((t) => ({ ...t })) },
    pullPolicy: 'Never',
    loadImages: (archive) => node.importImages(archive),
    down: () => cp.down(),
  };
}

/** The commands a kind cluster takes (the `kind` CLI on PATH, a container engine behind it). */
export function kindCommands(name: string, kubeconfigPath: string) {
  return {
    create: ['kind', 'create', 'cluster', '--name', name, '--kubeconfig', kubeconfigPath, '--wait', '180s'],
    load: (archive: string) => ['kind', 'load', 'image-archive', archive, '--name', name],
    delete: ['kind', 'delete', 'cluster', '--name', name, '--kubeconfig', kubeconfigPath],
    /** For a job that runs in a container itself: join kind's network, reach the API server by its name there. */
    joinNetwork: ['docker', 'network', 'connect', 'kind', hostname()],
    internalKubeconfig: ['kind', 'get', 'kubeconfig', '--internal', '--name', name],
  };
}

export interface KindOptions {
  progress?: (line: string) => void;
  /**
   * The job runs in a container of the same engine (a CI job container): join the `kind`
   * network and use the API server's address there (env AGENT_SANDBOX_KIND_INTERNAL=1).
   */
  internal?: boolean;
  /** kwok's simulated nodes, where the suites' sandboxes go (default 3, as the local cluster). */
  kwokNodes?: number;
}

/**
 * A kind cluster shaped like the local one (needs `kind` and a container engine: hosted CI, not
 * this machine): its node is labelled and tainted as the real node is, so the same placement
 * puts the programs there and nothing else; kwok (its release manifests at the version the
 * local cluster pins, with the same stages) runs simulated nodes for the suites' sandboxes.
 * Images are loaded with `kind load image-archive`.
 */
export async function kindCluster(name: string, options: KindOptions = {}): Promise<ChartCluster> {
  const progress = options.progress ?? (() => {});
  const kubeconfigPath = join(mkdtempSync(join(tmpdir(), `kind-${name}-`)), 'kubeconfig');
  const cmd = kindCommands(name, kubeconfigPath);
  await run(cmd.create, progress);
  const cluster: ChartCluster = {
    flavour: 'kind',
    name,
    kubeconfigPath,
    placement: { nodeSelector: { ...REAL_NODE_PLACEMENT.nodeSelector }, tolerations: REAL_NODE_PLACEMENT.tolerations.map((t) => ({ ...t })) },
    pullPolicy: 'IfNotPresent',
    loadImages: (archive) => run(cmd.load(archive), progress),
    down: () => run(cmd.delete, progress),
  };
  try {
    if (options.internal ?? process.env.AGENT_SANDBOX_KIND_INTERNAL === '1') {
      await run(cmd.joinNetwork, progress).catch((err: Error) => {
        if (!/already exists/.test(err.message)) throw err;
      });
      writeFileSync(kubeconfigPath, await output(cmd.internalKubeconfig), { mode: 0o600 });
    }
    await shapeKindCluster(kubeConfigOf(cluster), options.kwokNodes ?? 3, progress);
  } catch (err) {
    await cluster.down().catch(() => undefined);
    throw err;
  }
  return cluster;
}

/** Where kwok's release manifests are published for a version. */
export function kwokManifestUrls(version: string): string[] {
  return ['kwok.yaml', 'stage-fast.yaml'].map((f) => `https://github.com/kubernetes-sigs/kwok/releases/download/${version}/${f}`);
}

async function shapeKindCluster(kc: KubeConfig, kwokNodes: number, progress: (line: string) => void): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const create = async (docs: KubernetesObject[]) => {
    for (const doc of docs) await objects.create(doc);
  };
  // kwok first (its controller must land on the kind node before the taint keeps Pods off it).
  const [controller, stages] = await Promise.all(
    kwokManifestUrls(readVersions().kwok).map(async (url) => {
      const res = await fetch(url);
      if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
      return parseAllDocuments(await res.text()).map((d) => d.toJS() as KubernetesObject).filter(Boolean);
    }),
  );
  progress(`kwok ${readVersions().kwok}: ${controller!.length} objects, ${stages!.length} stages`);
  await create(controller!);
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  await waitFor('the Stage CRD to be established', async () => {
    const crd = await ext.readCustomResourceDefinition({ name: 'stages.kwok.x-k8s.io' });
    return !!crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  }, 60_000, 500);
  // The same stages as the local cluster: kwok's, the pod-ready one honouring a Pod's own delay, and ours.
  const own = (await ownStageDocuments()).flatMap((text) => parseAllDocuments(text).map((d) => d.toJS() as KubernetesObject));
  await create([...stages!.map(withPodDelay), ...own]);
  await waitForRollout(kc, 'kube-system', ['kwok-controller'], 180_000);
  const core = kc.makeApiClient(CoreV1Api);
  for (const node of (await core.listNode()).items) {
    await core.patchNode(
      {
        name: node.metadata!.name!,
        body: {
          metadata: { labels: { ...REAL_NODE_PLACEMENT.nodeSelector, type: 'real' } },
          // As the real node: its taint instead of the control plane's.
          spec: { taints: [...(node.spec?.taints ?? []).filter((t) => t.key !== 'node-role.kubernetes.io/control-plane'), { ...REAL_NODE_TAINT }] },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
  }
  for (let i = 0; i < kwokNodes; i++) {
    const resources = { cpu: '1000', memory: '4Ti', pods: '5000', 'ephemeral-storage': '10Ti' };
    await core.createNode({
      body: {
        metadata: {
          name: `kwok-node-${i}`,
          annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
          labels: { 'kubernetes.io/hostname': `kwok-node-${i}`, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'node-role.kubernetes.io/agent': '', type: 'kwok' },
        },
        status: { allocatable: resources, capacity: resources },
      },
    });
  }
  await waitFor(`${kwokNodes} kwok nodes Ready`, async () => {
    const ready = (await core.listNode({ labelSelector: 'type=kwok' })).items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    return ready.length >= kwokNodes;
  }, 120_000, 500);
}

/** kwok's pod-ready stage, made to honour a Pod's `pod-ready.stage.kwok.x-k8s.io/delay` exactly (as the local cluster does). */
export function withPodDelay(stage: KubernetesObject): KubernetesObject {
  if (stage.metadata?.name !== 'pod-ready') return stage;
  const from = { expressionFrom: '.metadata.annotations["pod-ready.stage.kwok.x-k8s.io/delay"]' };
  const spec = (stage as { spec?: Record<string, unknown> }).spec ?? {};
  return { ...stage, spec: { ...spec, delay: { durationMilliseconds: 0, durationFrom: from, jitterDurationMilliseconds: 0, jitterDurationFrom: from } } } as KubernetesObject;
}

async function output(argv: readonly string[]): Promise<string> {
  const [command, ...args] = argv;
  const res = spawnSync(command!, args, { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`${argv.join(' ')} failed (exit ${res.status}): ${res.stderr || res.error?.message}`);
  return res.stdout;
}

async function run(argv: readonly string[], progress: (line: string) => void = () => {}): Promise<void> {
  progress(`$ ${argv.join(' ')}`);
  const [command, ...args] = argv;
  const child = spawn(command!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`${command}: ${err.message}`)));
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`${argv.join(' ')} failed (exit ${code}):\n${output.trim()}`);
}

export interface InstallOptions {
  release?: string;
  namespace?: string;
  /** Programs to install (the others are switched off); default all. */
  programs?: readonly ChartProgram[];
  crds?: { enabled?: boolean; keep?: boolean };
  /** Values merged over the ones this module sets (objects deeply, anything else replaced). */
  values?: Record<string, unknown>;
}

/**
 * The umbrella chart's switchable subcharts (those with a `<name>.enabled` condition in its
 * Chart.yaml), other than the CRDs: every component a default install would run.
 */
export function umbrellaComponents(chartYaml = readFileSync(join(UMBRELLA_DIR, 'Chart.yaml'), 'utf8')): string[] {
  const chart = parseYaml(chartYaml) as { dependencies?: Array<{ name: string; condition?: string }> };
  return (chart.dependencies ?? []).filter((d) => d.condition === `${d.name}.enabled` && d.name !== 'crds').map((d) => d.name);
}

/**
 * The values that make the chart run the built images on `cluster`: the images' registry and
 * tag, the pull policy, the placement, the programs switched on. Every other component of the
 * umbrella chart (one whose image was not built, such as the data plane's) is switched off: its
 * Pods could never start where images are only loaded, never pulled.
 */
export function chartValues(images: Pick<ProgramImages, 'registry' | 'tag'>, cluster: Pick<ChartCluster, 'placement' | 'pullPolicy'>, options: InstallOptions = {}, components: readonly string[] = umbrellaComponents()): Record<string, unknown> {
  const programs = new Set<string>(options.programs ?? CHART_PROGRAMS);
  const base: Record<string, unknown> = {
    global: {
      image: { registry: images.registry, tag: images.tag, pullPolicy: cluster.pullPolicy },
      nodeSelector: cluster.placement.nodeSelector,
      tolerations: cluster.placement.tolerations,
    },
    crds: { enabled: options.crds?.enabled ?? true, keep: options.crds?.keep ?? true },
    ...Object.fromEntries([...new Set([...CHART_PROGRAMS, ...components])].map((p) => [p, { enabled: programs.has(p) }])),
  };
  return deepMerge(base, options.values ?? {});
}

export function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isPlainObject(prev) && isPlainObject(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `helm upgrade --install` of the umbrella chart (from this checkout) with `valuesFile`. */
export function helmInstallArgs(kubeconfigPath: string, release: string, namespace: string, valuesFile: string): string[] {
  return ['upgrade', '--install', release, UMBRELLA_DIR, '--namespace', namespace, '--create-namespace', '--values', valuesFile, '--kubeconfig', kubeconfigPath, '--timeout', '5m'];
}

export function helmUninstallArgs(kubeconfigPath: string, release: string, namespace: string): string[] {
  return ['uninstall', release, '--namespace', namespace, '--kubeconfig', kubeconfigPath, '--wait', '--timeout', '3m'];
}

/** Runs the pinned helm (built into the cache on first use), failing with its own message. */
export function helm(args: readonly string[]): Promise<string> {
  return helmOk(args);
}

export interface Installed {
  release: string;
  namespace: string;
  programs: readonly ChartProgram[];
  values: Record<string, unknown>;
  /** The programs' Pods once every Deployment had rolled out, by program. */
  pods: Record<string, V1Pod[]>;
  /** Seconds from the helm command to every Deployment rolled out. */
  seconds: number;
}

/**
 * `helm upgrade --install` with {@link chartValues}, then waits until each installed program's
 * Deployment has rolled out (every replica updated, Ready and available) and returns its Pods.
 */
export async function installChart(cluster: ChartCluster, images: Pick<ProgramImages, 'registry' | 'tag'>, options: InstallOptions = {}): Promise<Installed> {
  const release = options.release ?? DEFAULT_RELEASE;
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const programs = options.programs ?? CHART_PROGRAMS;
  const values = chartValues(images, cluster, options);
  const valuesFile = join(mkdtempSync(join(tmpdir(), 'chart-values-')), 'values.yaml');
  writeFileSync(valuesFile, JSON.stringify(values, null, 2));
  const started = Date.now();
  await helm(helmInstallArgs(cluster.kubeconfigPath, release, namespace, valuesFile));
  const pods = await waitForRollout(kubeConfigOf(cluster), namespace, programs);
  return { release, namespace, programs, values, pods, seconds: (Date.now() - started) / 1000 };
}

export async function uninstallChart(cluster: ChartCluster, release = DEFAULT_RELEASE, namespace = DEFAULT_NAMESPACE): Promise<void> {
  await helm(helmUninstallArgs(cluster.kubeconfigPath, release, namespace));
}

export function kubeConfigOf(cluster: Pick<ChartCluster, 'kubeconfigPath'>): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  return kc;
}

/** Whether a Deployment has finished rolling out its current template (what `kubectl rollout status` checks). */
export function rolledOut(d: V1Deployment): boolean {
  const want = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
    (s.updatedReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want &&
    (s.readyReplicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want
  );
}

/**
 * Waits until each program's Deployment in `namespace` has rolled out, and returns the Pods of
 * each (Ready, of the current template). The error names what is not Ready and why.
 */
export async function waitForRollout(kc: KubeConfig, namespace: string, programs: readonly string[], timeoutMs = 600_000): Promise<Record<string, V1Pod[]>> {
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  let pending: string[] = [...programs];
  try {
    await waitFor(
      `the Deployments ${programs.join(', ')} in ${namespace} to roll out`,
      async () => {
        const deployments = await Promise.all(programs.map((p) => apps.readNamespacedDeployment({ name: p, namespace })));
        pending = programs.filter((_, i) => !rolledOut(deployments[i]!));
        return pending.length === 0;
      },
      timeoutMs,
      250,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\nnot rolled out: ${pending.join(', ')}\n${await podDiagnosis(core, namespace)}`, { cause: err });
  }
  const out: Record<string, V1Pod[]> = {};
  for (const p of programs) {
    const list = await core.listNamespacedPod({ namespace, labelSelector: `app.kubernetes.io/name=${p}` });
    out[p] = list.items.filter((pod) => !pod.metadata?.deletionTimestamp && pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  }
  return out;
}

/** One line per Pod of the namespace: phase, node, and why a container is not Ready. */
export async function podDiagnosis(core: CoreV1Api, namespace: string): Promise<string> {
  const list = await core.listNamespacedPod({ namespace }).catch((err: Error) => ({ items: [] as V1Pod[], error: err }));
  if ('error' in list) return `(cannot list Pods: ${list.error.message})`;
  return list.items
    .map((pod) => {
      const states = (pod.status?.containerStatuses ?? []).map((c) => {
        const waiting = c.state?.waiting;
        const terminated = c.lastState?.terminated ?? c.state?.terminated;
        return `${c.name}: ready=${c.ready} restarts=${c.restartCount}${waiting ? ` waiting ${waiting.reason}: ${waiting.message ?? ''}` : ''}${terminated ? ` last exit ${terminated.exitCode} ${terminated.reason ?? ''}` : ''}`;
      });
      const unscheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status !== 'True');
      return `  ${pod.metadata?.name} ${pod.status?.phase} node=${pod.spec?.nodeName ?? '-'}${unscheduled ? ` unschedulable: ${unscheduled.message}` : ''} ${states.join('; ')}`;
    })
    .join('\n');
}

export type StepId = 'cluster' | 'images' | 'load' | 'install' | 'ready' | 'suites' | 'webhook' | 'upgrade' | 'subset' | 'uninstall' | 'down';

export interface PlannedStep {
  id: StepId;
  /** What the step does, for logs and the unit test; commands where a command is what it runs. */
  does: string;
  command?: readonly string[];
}

/**
 * The chart e2e's steps for a flavour of cluster, as data: kind and local differ only in how
 * the cluster is made and removed and how images reach its nodes; every other step is the same
 * function with the same arguments (a unit test compares the two plans).
 */
export function chartPlan(flavour: 'local' | 'kind', name: string, kubeconfigPath: string, paths: { archive: string; valuesFile: string }, release = DEFAULT_RELEASE, namespace = DEFAULT_NAMESPACE): PlannedStep[] {
  const kind = kindCommands(name, kubeconfigPath);
  return [
    flavour === 'kind'
      ? { id: 'cluster', does: 'create a kind cluster', command: kind.create }
      : { id: 'cluster', does: 'start the local control plane with a real node (ControlPlane.up realNode)', command: ['npm', 'run', 'cluster', '--', 'up', '--real-node', '--name', name] },
    { id: 'images', does: `build the images of ${CHART_PROGRAMS.join(', ')} into one archive (tools/images)` },
    flavour === 'kind'
      ? { id: 'load', does: 'load the archive onto every kind node', command: kind.load(paths.archive) }
      : { id: 'load', does: "import the archive into the real node's containerd", command: ['ctr', '--namespace', 'k8s.io', 'images', 'import', paths.archive] },
    { id: 'install', does: 'helm upgrade --install the umbrella chart', command: ['helm', ...helmInstallArgs(kubeconfigPath, release, namespace, paths.valuesFile)] },
    { id: 'ready', does: 'every Deployment rolled out; every Pod Ready, on a node that runs it, as its chart-made ServiceAccount' },
    { id: 'suites', does: 'run the e2e suites with AGENT_SANDBOX_E2E_PROGRAMS=installed against the installed programs' },
    { id: 'webhook', does: 'the API server calls the installed webhook through its Service' },
    { id: 'upgrade', does: 'helm upgrade with a changed value while claims are made: every claim Ready', command: ['helm', ...helmInstallArgs(kubeconfigPath, release, namespace, paths.valuesFile)] },
    { id: 'subset', does: 'uninstall; install only the sandbox-controller and the webhook; they work alone' },
    { id: 'uninstall', does: 'helm uninstall leaves the CRDs with crds.keep, nothing without', command: ['helm', ...helmUninstallArgs(kubeconfigPath, release, namespace)] },
    flavour === 'kind' ? { id: 'down', does: 'delete the kind cluster', command: kind.delete } : { id: 'down', does: 'stop the local cluster', command: ['npm', 'run', 'cluster', '--', 'down', '--name', name] },
  ];
}
