import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api, type V1Node } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { ensureBinaries, type Binaries } from './build.ts';
import { GiveUp, httpGet, waitFor } from './http-probe.ts';
import { clustersDir } from './paths.ts';
import { createCertificateAuthority, createSigningKeyPair } from '@agent-sandbox/pki';
import { freePort, isAlive, isRunning, portInUse, startDetached, stopProcess } from './process.ts';
import { DEFAULT_API_SERVICE_IP, DEFAULT_SERVICE_CIDR, REAL_NODE_NAME } from './node/addresses.ts';
import { CLUSTER_DOMAIN } from './node/configs.ts';
import { realNodeBlocker } from './node/prerequisites.ts';
import { NODE_COMPONENTS, RealNode, type NodeComponent, type RealNodeState } from './node/real-node.ts';
import { claimSlot, releaseSlot } from './node/slots.ts';
import { buildNodeImages, startClusterDns } from './node/node-images.ts';
import { ownStageDocuments } from './stages.ts';

/** The control plane's components, in start order. */
export const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const;
export type ControlPlaneComponent = (typeof COMPONENTS)[number];
/** A cluster's components: the control plane's, and its real node's when it has one. */
export type Component = ControlPlaneComponent | NodeComponent;
export const ALL_COMPONENTS: readonly Component[] = [...COMPONENTS, ...NODE_COMPONENTS];
export { NODE_COMPONENTS };

/** Pod start-up profiles: how long kwok waits before a scheduled Pod becomes Running and Ready. */
export const PROFILES = {
  fast: { podReadyDelayMs: 300, podReadyJitterMs: 500 },
  realistic: { podReadyDelayMs: 2_000, podReadyJitterMs: 6_000 },
} as const;
export type Profile = keyof typeof PROFILES;

export interface ClusterOptions {
  name: string;
  /** Simulated kwok nodes (default 3). */
  nodes?: number;
  /** Pods each node accepts (default 5000). */
  podsPerNode?: number;
  profile?: Profile;
  /**
   * Overrides the profile's delay; a Pod's annotation `pod-ready.stage.kwok.x-k8s.io/delay`
   * (a Go duration such as `500ms` or `10m`) overrides both and is exact.
   */
  podReadyDelayMs?: number;
  /** Upper bound of the delay with jitter (kwok picks uniformly between delay and this). */
  podReadyJitterMs?: number;
  /**
   * The process this cluster belongs to (a test run). A later `up` removes clusters whose
   * owner is gone, so a killed test run leaves no processes behind for long.
   */
  ownerPid?: number;
  /** etcd fsync (default off: a throw-away development cluster, and much faster on VMs). */
  fsync?: boolean;
  /** Serve /debug/pprof on the API server (for profiling benchmarks; default off). */
  profiling?: boolean;
  /**
   * Add one real node on this machine (kubelet, containerd, pod network, kube-proxy, CoreDNS):
   * Linux, root and a few Debian packages (the error says which). Default off.
   */
  realNode?: boolean;
  /**
   * Manifest files or folders applied (server-side) once the API server is up and before the
   * controller-manager starts, so that its garbage collector knows their kinds from the start
   * (it rediscovers new kinds only every 30 s). CustomResourceDefinitions are waited for until
   * Established.
   */
  preload?: string[];
  progress?: (line: string) => void;
}

interface Ports {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
  kwok: number;
}

interface ClusterState {
  name: string;
  createdAt: string;
  ownerPid?: number;
  options: Required<Omit<ClusterOptions, 'ownerPid' | 'progress' | 'name' | 'preload' | 'realNode'>>;
  ports: Ports;
  pids: Partial<Record<Component, number>>;
  binaries: Binaries;
  /** Present when the cluster has a real node. */
  realNode?: RealNodeState;
}

export interface ComponentStatus {
  component: Component;
  pid?: number;
  running: boolean;
  healthy: boolean;
  log: string;
}

/** The API server's client identity toward kubelets. */
const APISERVER_KUBELET_CLIENT = 'kube-apiserver-kubelet-client';

/** kwok's simulated pods take addresses from here (nothing routes to them). */
const POD_CIDR = '10.244.0.0/16';
const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

/**
 * A real Kubernetes control plane on loopback: etcd, kube-apiserver (RBAC, the default
 * admission plugins plus NodeRestriction, webhooks), kube-controller-manager (garbage
 * collector and the default controllers), kube-scheduler and kwok, whose simulated nodes
 * make scheduled Pods Running and Ready after a configurable delay.
 *
 * Each cluster lives in its own folder under the cache (certificates, kubeconfigs, etcd data,
 * one log file per component, state.json); processes run detached in their own process
 * groups so that `down` from another process stops them.
 */
export class ControlPlane {
  readonly dir: string;
  #state: ClusterState;

  readonly #node: RealNode | undefined;

  private constructor(dir: string, state: ClusterState) {
    this.dir = dir;
    this.#state = state;
    this.#node = state.realNode ? new RealNode(dir, state.realNode, state.binaries) : undefined;
  }

  get name(): string {
    return this.#state.name;
  }
  get kubeconfigPath(): string {
    return join(this.dir, 'kubeconfig', 'admin.yaml');
  }
  get server(): string {
    return `https://${this.#apiserverHost}:${this.#state.ports.apiserver}`;
  }
  /**
   * With a real node, the API server listens on the host's end of the node's link: pods reach
   * it there (through the `kubernetes` Service, whose endpoint it advertises), and so does
   * everything on the host. Without one, loopback only.
   */
  get #apiserverHost(): string {
    return this.#node ? this.#node.addresses.hostIp : '127.0.0.1';
  }
  /** The cluster's real node, when it has one. */
  get realNode(): RealNode | undefined {
    return this.#node;
  }
  /** The components this cluster runs, in start order. */
  get components(): readonly Component[] {
    return this.#node ? ALL_COMPONENTS : COMPONENTS;
  }
  get binaries(): Binaries {
    return this.#state.binaries;
  }
  logFile(component: Component): string {
    return join(this.dir, 'logs', `${component}.log`);
  }

  /** The folder of the cluster called `name`. */
  static dirOf(name: string): string {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) throw new Error(`cluster name "${name}": use lower-case letters, digits and dashes`);
    return join(clustersDir(), name);
  }

  /** Opens an existing cluster folder, or returns undefined when there is none. */
  static async open(name: string): Promise<ControlPlane | undefined> {
    const dir = ControlPlane.dirOf(name);
    const file = join(dir, 'state.json');
    if (!existsSync(file)) return undefined;
    return new ControlPlane(dir, JSON.parse(await readFile(file, 'utf8')) as ClusterState);
  }

  /**
   * Starts the cluster `options.name`, or returns it if it is already up. Builds the binaries
   * first when the cache lacks them.
   */
  static async up(options: ClusterOptions): Promise<ControlPlane> {
    const progress = options.progress ?? (() => {});
    await ControlPlane.sweepOrphans(progress);
    const existing = await ControlPlane.open(options.name);
    if (existing) {
      const status = await existing.status();
      if (status.every((s) => s.running)) {
        progress(`cluster "${options.name}" is already up`);
        return existing;
      }
      progress(`cluster "${options.name}" was partly running: removing it and starting afresh`);
      await existing.down();
    }

    if (options.realNode) {
      const blocker = realNodeBlocker();
      if (blocker) throw new Error(blocker);
    }
    const binaries = await ensureBinaries(progress);
    const dir = ControlPlane.dirOf(options.name);
    const profile = PROFILES[options.profile ?? 'fast'];
    const slot = options.realNode ? claimSlot(options.name) : undefined;
    const state: ClusterState = {
      name: options.name,
      createdAt: new Date().toISOString(),
      ...(options.ownerPid ? { ownerPid: options.ownerPid } : {}),
      options: {
        nodes: options.nodes ?? 3,
        podsPerNode: options.podsPerNode ?? 5000,
        profile: options.profile ?? 'fast',
        podReadyDelayMs: options.podReadyDelayMs ?? profile.podReadyDelayMs,
        podReadyJitterMs: options.podReadyJitterMs ?? Math.max(profile.podReadyJitterMs, options.podReadyDelayMs ?? 0),
        fsync: options.fsync ?? false,
        profiling: options.profiling ?? false,
      },
      ports: {
        etcdClient: await freePort(),
        etcdPeer: await freePort(),
        // Free on loopback is free on the node link too: it is new, and a wildcard listener would show on both.
        apiserver: await freePort(),
        controllerManager: await freePort(),
        scheduler: await freePort(),
        kwok: await freePort(),
      },
      pids: {},
      binaries,
      ...(slot === undefined
        ? {}
        : { realNode: { slot, ports: { kubeletHealthz: await freePort(), kubeProxyHealthz: await freePort(), kubeProxyMetrics: await freePort() } } }),
    };
    const cp = new ControlPlane(dir, state);
    const started = Date.now();
    // The node's images build (seconds, from the image cache) while the control plane starts.
    const nodeImages = options.realNode ? buildNodeImages(binaries) : undefined;
    nodeImages?.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
    try {
      // Saved first: whatever fails below, `down` then knows what to undo.
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await cp.#saveState();
      cp.#node?.prepareHost();
      await cp.#writeFiles();
      for (const component of COMPONENTS) {
        await cp.start(component);
        if (component === 'kube-apiserver' && options.preload?.length) await cp.#preload(options.preload);
      }
      await cp.#createNodes();
      if (cp.#node) await cp.#startRealNode((await nodeImages!).archive, progress);
      await cp.#waitForDefaultServiceAccount();
    } catch (err) {
      progress(`start failed; logs are in ${join(dir, 'logs')}`);
      await cp.stopAll();
      if (slot !== undefined) releaseSlot(slot, options.name);
      throw err;
    }
    progress(`cluster "${options.name}" up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${cp.server}`);
    return cp;
  }

  /** Stops every component, undoes what the real node changed on the host, removes the cluster folder. */
  async down(): Promise<void> {
    // Everything is about to be deleted: nothing is gained by a graceful stop.
    await this.stopAll({ signal: 'SIGKILL' });
    await rm(this.dir, { recursive: true, force: true });
    if (this.#state.realNode) releaseSlot(this.#state.realNode.slot, this.name);
  }

  async stopAll(options: { signal?: NodeJS.Signals } = {}): Promise<void> {
    // Reverse start order: the node and clients first, etcd last.
    for (const component of [...this.components].reverse()) await this.stop(component, options);
    await this.#node?.teardown();
  }

  /**
   * Re-reads the pids from state.json: another process (a fault test, the CLI) may have
   * restarted a component since this object was made, and what it started must be stopped too.
   */
  async #refresh(): Promise<void> {
    const file = join(this.dir, 'state.json');
    if (!existsSync(file)) return;
    const onDisk = JSON.parse(await readFile(file, 'utf8')) as ClusterState;
    this.#state.pids = onDisk.pids;
  }

  /** Stops one component (SIGTERM, then SIGKILL), for fault tests; `start` brings it back. */
  async stop(component: Component, options: { signal?: NodeJS.Signals } = {}): Promise<void> {
    this.#check(component);
    await this.#refresh();
    const pid = this.#state.pids[component];
    if (pid !== undefined) await stopProcess(pid, this.#binaries(component), 10_000, options.signal ?? 'SIGTERM');
    delete this.#state.pids[component];
    if (existsSync(this.dir)) await this.#saveState();
  }

  /** Starts one component on its recorded port and waits until it is healthy. */
  async start(component: Component): Promise<void> {
    this.#check(component);
    await this.#refresh();
    if (isRunning(this.#state.pids[component], this.#binaries(component))) return;
    if (isNodeComponent(component)) {
      const { command, args } = this.#node!.command(component);
      this.#state.pids[component] = startDetached(command, args, this.logFile(component), this.dir);
    } else {
      const port = this.#port(component);
      const host = component === 'kube-apiserver' ? this.#apiserverHost : '127.0.0.1';
      if (await portInUse(port, host)) throw new Error(`${component}: port ${port} is in use by another process`);
      this.#state.pids[component] = startDetached(this.#binary(component), this.#args(component), this.logFile(component), this.dir);
    }
    await this.#saveState();
    const timeoutMs = component === 'kube-apiserver' ? 90_000 : 60_000;
    await waitFor(`${component} to become healthy (log: ${this.logFile(component)})`, async () => {
      // The pid was started just now, by us: alive is enough (its command line may still read
      // as its launcher's while it execs its way to the binary).
      if (!isAlive(this.#state.pids[component])) {
        throw new GiveUp(`${component} exited; see ${this.logFile(component)}`);
      }
      return isNodeComponent(component) ? this.#node!.healthy(component) : this.#healthy(component);
    }, timeoutMs);
  }

  /** Refuses a node component on a cluster without a real node. */
  #check(component: Component): void {
    if (!this.components.includes(component)) {
      throw new Error(`${component}: cluster "${this.name}" has no real node (components: ${this.components.join(', ')})`);
    }
  }

  /**
   * What a component's process may be called: a node component starts as a shell that joins
   * its cgroup and network namespace, then becomes the component.
   */
  #binaries(component: Component): string[] {
    return isNodeComponent(component) ? ['/bin/sh', 'nsenter', this.#node!.binary(component)] : [this.#binary(component)];
  }

  async restart(component: Component): Promise<void> {
    await this.stop(component);
    await this.start(component);
  }

  async status(): Promise<ComponentStatus[]> {
    await this.#refresh();
    return Promise.all(
      this.components.map(async (component) => {
        const pid = this.#state.pids[component];
        const running = isRunning(pid, this.#binaries(component));
        const healthy = running && (await (isNodeComponent(component) ? this.#node!.healthy(component) : this.#healthy(component)).catch(() => false));
        return { component, ...(pid ? { pid } : {}), running, healthy, log: this.logFile(component) };
      }),
    );
  }

  /** A client configuration for the cluster's administrator (system:masters). */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfigPath);
    return kc;
  }

  /**
   * Removes clusters whose owning process is gone (a test run that was killed): stops their
   * processes and frees their ports.
   */
  static async sweepOrphans(progress: (line: string) => void = () => {}): Promise<void> {
    if (!existsSync(clustersDir())) return;
    for (const name of await readdir(clustersDir())) {
      const cp = await ControlPlane.open(name).catch(() => undefined);
      const owner = cp ? cp.#state.ownerPid : undefined;
      if (!cp || owner === undefined || ownerAlive(owner)) continue;
      progress(`removing cluster "${name}" left behind by process ${owner}`);
      await cp.down();
    }
  }

  #binary(component: ControlPlaneComponent): string {
    const b = this.#state.binaries;
    return { etcd: b.etcd, 'kube-apiserver': b.kubeApiserver, 'kube-controller-manager': b.kubeControllerManager, 'kube-scheduler': b.kubeScheduler, kwok: b.kwok }[
      component
    ];
  }

  /** etcd's client URL (plain HTTP on loopback); it serves /metrics too. */
  get etcdUrl(): string {
    return `http://127.0.0.1:${this.#state.ports.etcdClient}`;
  }

  #port(component: ControlPlaneComponent): number {
    const p = this.#state.ports;
    return { etcd: p.etcdClient, 'kube-apiserver': p.apiserver, 'kube-controller-manager': p.controllerManager, 'kube-scheduler': p.scheduler, kwok: p.kwok }[
      component
    ];
  }

  #path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  async #healthy(component: ControlPlaneComponent): Promise<boolean> {
    const port = this.#port(component);
    switch (component) {
      case 'etcd': {
        const res = await httpGet(`http://127.0.0.1:${port}/health`);
        return res.status === 200 && res.body.includes('"health":"true"');
      }
      case 'kube-apiserver': {
        const [ca, cert, key] = await Promise.all(['ca.crt', 'admin.crt', 'admin.key'].map((f) => readFile(this.#path('pki', f), 'utf8')));
        return (await httpGet(`${this.server}/readyz`, { ca, cert, key })).status === 200;
      }
      case 'kube-controller-manager':
      case 'kube-scheduler':
        return (await httpGet(`https://127.0.0.1:${port}/healthz`, { insecure: true })).status === 200;
      case 'kwok':
        return (await httpGet(`http://127.0.0.1:${port}/healthz`)).status === 200;
    }
  }

  #args(component: ControlPlaneComponent): string[] {
    const p = this.#state.ports;
    const pki = (f: string) => this.#path('pki', f);
    const kubeconfig = (f: string) => this.#path('kubeconfig', `${f}.yaml`);
    switch (component) {
      case 'etcd':
        return [
          '--name=local',
          `--data-dir=${this.#path('etcd-data')}`,
          `--listen-client-urls=${this.etcdUrl}`,
          `--advertise-client-urls=${this.etcdUrl}`,
          `--listen-peer-urls=http://127.0.0.1:${p.etcdPeer}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${p.etcdPeer}`,
          `--initial-cluster=local=http://127.0.0.1:${p.etcdPeer}`,
          '--quota-backend-bytes=8589934592',
          `--unsafe-no-fsync=${!this.#state.options.fsync}`,
          '--log-level=warn',
        ];
      case 'kube-apiserver':
        return [
          `--etcd-servers=${this.etcdUrl}`,
          `--bind-address=${this.#apiserverHost}`,
          `--advertise-address=${this.#apiserverHost}`,
          ...(this.#node
            ? [
                // The kubernetes Service's endpoint is this address, so pods reach the API.
                '--endpoint-reconciler-type=lease',
                // The API server authenticates to the kubelet with a certificate of the cluster
                // CA and checks the kubelet's serving certificate; kubelets are found by their
                // InternalIP (the node's link), not by a host name that may not resolve.
                `--kubelet-client-certificate=${pki('apiserver-kubelet-client.crt')}`,
                `--kubelet-client-key=${pki('apiserver-kubelet-client.key')}`,
                `--kubelet-certificate-authority=${pki('ca.crt')}`,
                '--kubelet-preferred-address-types=InternalIP',
              ]
            : [
                // Loopback cannot be published as the kubernetes Service's endpoint; nothing in-cluster needs it.
                '--endpoint-reconciler-type=none',
              ]),
          `--secure-port=${p.apiserver}`,
          `--tls-cert-file=${pki('apiserver.crt')}`,
          `--tls-private-key-file=${pki('apiserver.key')}`,
          `--client-ca-file=${pki('ca.crt')}`,
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          `--service-account-key-file=${pki('sa.pub')}`,
          `--service-account-signing-key-file=${pki('sa.key')}`,
          `--service-cluster-ip-range=${this.#serviceCidr}`,
          '--authorization-mode=Node,RBAC',
          // The default plugins (NamespaceLifecycle, ServiceAccount, ResourceQuota, the webhooks,
          // ValidatingAdmissionPolicy, PodSecurity, …) plus what kubeadm adds.
          '--enable-admission-plugins=NodeRestriction',
          '--allow-privileged=true',
          // Head-room for benchmarks with thousands of writes per second on one machine.
          '--max-requests-inflight=1600',
          '--max-mutating-requests-inflight=800',
          `--profiling=${this.#state.options.profiling ?? false}`,
          '--v=1',
        ];
      case 'kube-controller-manager':
        return [
          `--kubeconfig=${kubeconfig('controller-manager')}`,
          `--authentication-kubeconfig=${kubeconfig('controller-manager')}`,
          `--authorization-kubeconfig=${kubeconfig('controller-manager')}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${p.controllerManager}`,
          `--service-account-private-key-file=${pki('sa.key')}`,
          `--root-ca-file=${pki('ca.crt')}`,
          `--cluster-signing-cert-file=${pki('ca.crt')}`,
          `--cluster-signing-key-file=${pki('ca.key')}`,
          '--use-service-account-credentials=true',
          // Dynamic PersistentVolumes under /tmp for a StorageClass with the kubernetes.io/host-path
          // provisioner (a development cluster has no storage system; kwok's Pods never mount them).
          '--enable-hostpath-provisioner=true',
          `--service-cluster-ip-range=${this.#serviceCidr}`,
          // One instance: no lease to wait for after a restart in a fault test.
          '--leader-elect=false',
          '--kube-api-qps=200',
          '--kube-api-burst=400',
          '--v=1',
        ];
      case 'kube-scheduler':
        return [
          `--config=${this.#path('scheduler-config.yaml')}`,
          `--authentication-kubeconfig=${kubeconfig('scheduler')}`,
          `--authorization-kubeconfig=${kubeconfig('scheduler')}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${p.scheduler}`,
          '--v=1',
        ];
      case 'kwok':
        return [
          `--kubeconfig=${kubeconfig('kwok')}`,
          `--config=${this.#path('kwok-config.yaml')}`,
          '--manage-all-nodes=false',
          `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
          `--server-address=127.0.0.1:${p.kwok}`,
          '--node-lease-duration-seconds=40',
          `--cidr=${POD_CIDR}`,
          '--node-ip=127.0.0.1',
        ];
    }
  }

  get #serviceCidr(): string {
    return this.#node ? this.#node.addresses.serviceCidr : DEFAULT_SERVICE_CIDR;
  }

  async #writeFiles(): Promise<void> {
    for (const sub of ['pki', 'kubeconfig', 'logs', 'etcd-data']) await mkdir(this.#path(sub), { recursive: true, mode: 0o700 });
    const ca = await createCertificateAuthority(`agent-sandbox-local-ca-${this.name}`);
    const sa = await createSigningKeyPair();
    const files: Record<string, string> = { 'ca.crt': ca.certPem, 'ca.key': ca.keyPem, 'sa.key': sa.privatePem, 'sa.pub': sa.publicPem };
    const node = this.#node?.addresses;
    const apiserver = await ca.issue({
      commonName: 'kube-apiserver',
      usage: 'server',
      dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${CLUSTER_DOMAIN}`],
      ipAddresses: ['127.0.0.1', '::1', ...(node ? [node.hostIp, node.apiServiceIp] : [DEFAULT_API_SERVICE_IP])],
    });
    files['apiserver.crt'] = apiserver.certPem;
    files['apiserver.key'] = apiserver.keyPem;
    const users: Record<string, { commonName: string; organizations?: string[] }> = {
      admin: { commonName: 'agent-sandbox-admin', organizations: ['system:masters'] },
      'controller-manager': { commonName: 'system:kube-controller-manager' },
      scheduler: { commonName: 'system:kube-scheduler' },
      // kwok plays every kubelet; it needs node, pod-status and lease writes across the cluster.
      kwok: { commonName: 'kwok-controller', organizations: ['system:masters'] },
    };
    if (node) {
      // The real node's identities: the kubelet as system:node:<name> (Node authorization and
      // NodeRestriction apply), kube-proxy as system:kube-proxy (bound by a default role).
      users.kubelet = { commonName: `system:node:${REAL_NODE_NAME}`, organizations: ['system:nodes'] };
      users['kube-proxy'] = { commonName: 'system:kube-proxy', organizations: ['system:node-proxier'] };
      // The API server's client identity toward kubelets (logs, exec, port-forward), bound to
      // system:kubelet-api-admin once the API server is up.
      const kubeletClient = await ca.issue({ commonName: APISERVER_KUBELET_CLIENT, usage: 'client' });
      files['apiserver-kubelet-client.crt'] = kubeletClient.certPem;
      files['apiserver-kubelet-client.key'] = kubeletClient.keyPem;
    }
    for (const [file, user] of Object.entries(users)) {
      const pair = await ca.issue({ ...user, usage: 'client' });
      files[`${file}.crt`] = pair.certPem;
      files[`${file}.key`] = pair.keyPem;
      await writeFile(this.#path('kubeconfig', `${file}.yaml`), kubeconfigYaml(this.name, this.server, ca.certPem, user.commonName, pair), {
        mode: 0o600,
      });
    }
    if (node) {
      // The kubelet's serving certificate, for the address the API server dials.
      const serving = await ca.issue({ commonName: `system:node:${REAL_NODE_NAME}`, usage: 'server', dnsNames: [REAL_NODE_NAME], ipAddresses: [node.nodeIp] });
      files['kubelet-serving.crt'] = serving.certPem;
      files['kubelet-serving.key'] = serving.keyPem;
    }
    for (const [file, content] of Object.entries(files)) await writeFile(this.#path('pki', file), content, { mode: 0o600 });
    await this.#node?.writeConfigs();

    await writeFile(
      this.#path('scheduler-config.yaml'),
      stringify({
        apiVersion: 'kubescheduler.config.k8s.io/v1',
        kind: 'KubeSchedulerConfiguration',
        clientConnection: { kubeconfig: this.#path('kubeconfig', 'scheduler.yaml'), qps: 500, burst: 1000 },
        leaderElection: { leaderElect: false },
      }),
    );
    await writeFile(this.#path('kwok-config.yaml'), await this.#kwokConfig());
  }

  /** kwok's own stages, with the profile's start-up delay put on the pod-ready stage, then ours. */
  async #kwokConfig(): Promise<string> {
    const { podReadyDelayMs, podReadyJitterMs } = this.#state.options;
    const docs: string[] = [];
    for (const file of (await readdir(this.#state.binaries.stagesDir)).sort()) {
      for (const doc of parseAllDocuments(await readFile(join(this.#state.binaries.stagesDir, file), 'utf8'))) {
        const stage = doc.toJS() as { metadata: { name: string }; spec: Record<string, unknown> };
        if (stage.metadata.name === 'pod-ready') {
          stage.spec.delay = {
            durationMilliseconds: podReadyDelayMs,
            durationFrom: { expressionFrom: '.metadata.annotations["pod-ready.stage.kwok.x-k8s.io/delay"]' },
            jitterDurationMilliseconds: Math.max(podReadyJitterMs, podReadyDelayMs),
            // kwok uses the jitter bound when it is below the delay, so a Pod's own delay must
            // set both: the same annotation does, and the Pod waits exactly that long.
            jitterDurationFrom: { expressionFrom: '.metadata.annotations["pod-ready.stage.kwok.x-k8s.io/delay"]' },
          };
        }
        docs.push(stringify(stage));
      }
    }
    docs.push(...(await ownStageDocuments()));
    return docs.join('---\n');
  }

  async #preload(paths: string[]): Promise<void> {
    const kubectl = (args: string[]) => {
      const res = spawnSync(this.#state.binaries.kubectl, args, { env: { ...process.env, KUBECONFIG: this.kubeconfigPath }, encoding: 'utf8' });
      if (res.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${res.stderr || res.stdout}`);
      return res.stdout;
    };
    for (const path of paths) kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=agent-sandbox-installer', '-f', path]);
    kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'customresourcedefinitions', '--all']);
  }

  async #createNodes(): Promise<void> {
    const api = this.kubeConfig().makeApiClient(CoreV1Api);
    const { nodes, podsPerNode } = this.#state.options;
    for (let i = 0; i < nodes; i++) {
      const name = `kwok-node-${i}`;
      const resources = { cpu: '1000', memory: '4Ti', pods: String(podsPerNode), 'ephemeral-storage': '10Ti' };
      const body: V1Node = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
          labels: {
            'kubernetes.io/hostname': name,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
            'node-role.kubernetes.io/agent': '',
            type: 'kwok',
          },
        },
        status: { allocatable: resources, capacity: resources },
      };
      await api.createNode({ body });
    }
    await waitFor(
      `${nodes} kwok nodes to become Ready`,
      async () => {
        const list = await api.listNode();
        const ready = list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
        return ready.length >= nodes;
      },
      60_000,
      200,
    );
  }

  /**
   * containerd, the node's images, the kubelet (until its Node is Ready), kube-proxy, and
   * cluster DNS (a Deployment on the node itself, as in a cluster).
   */
  async #startRealNode(imageArchive: string, progress: (line: string) => void): Promise<void> {
    const node = this.#node!;
    const started = Date.now();
    const kc = this.kubeConfig();
    await kc.makeApiClient(RbacAuthorizationV1Api).createClusterRoleBinding({
      body: {
        metadata: { name: APISERVER_KUBELET_CLIENT },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:kubelet-api-admin' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: APISERVER_KUBELET_CLIENT }],
      },
    });
    await this.start('containerd');
    const importStarted = Date.now();
    await node.importImages(imageArchive);
    progress(`node images loaded in ${((Date.now() - importStarted) / 1000).toFixed(1)} s`);
    await this.start('kubelet');
    const kubeletStarted = Date.now();
    const api = kc.makeApiClient(CoreV1Api);
    await waitFor(`node ${REAL_NODE_NAME} to become Ready (log: ${this.logFile('kubelet')})`, async () => {
      const n = await api.readNode({ name: REAL_NODE_NAME });
      return !!n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    }, 60_000, 100);
    progress(`real node Ready ${((Date.now() - kubeletStarted) / 1000).toFixed(1)} s after the kubelet started`);
    await this.start('kube-proxy');
    await startClusterDns(kc, this.#state.binaries.kubectl, this.kubeconfigPath, this.dir, node);
    progress(`real node up in ${((Date.now() - started) / 1000).toFixed(1)} s (pods ${node.addresses.podCidr}, Services ${node.addresses.serviceCidr}, DNS ${node.addresses.dnsServiceIp})`);
  }

  async #waitForDefaultServiceAccount(): Promise<void> {
    const api = this.kubeConfig().makeApiClient(CoreV1Api);
    await waitFor('the default ServiceAccount in namespace default', async () => {
      await api.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
      return true;
    }, 60_000, 200);
  }

  /** Written whole or not at all (a temporary file renamed over it): a reader, or a second save racing this one, never sees half a file. */
  async #saveState(): Promise<void> {
    const file = join(this.dir, 'state.json');
    const temporary = `${file}.${process.pid}.${randomUUID()}.tmp`;
    await writeFile(temporary, JSON.stringify(this.#state, null, 2) + '\n');
    await rename(temporary, file);
  }
}

function isNodeComponent(component: Component): component is NodeComponent {
  return (NODE_COMPONENTS as readonly string[]).includes(component);
}

function ownerAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function kubeconfigYaml(cluster: string, server: string, caPem: string, user: string, pair: { certPem: string; keyPem: string }): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server, 'certificate-authority-data': b64(caPem) } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(pair.certPem), 'client-key-data': b64(pair.keyPem) } }],
    contexts: [{ name: cluster, context: { cluster, user } }],
    'current-context': cluster,
  });
}
