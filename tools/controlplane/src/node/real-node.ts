import { spawn, spawnSync } from 'node:child_process';
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Binaries } from '../build.ts';
import { httpGet } from '../http-probe.ts';
import { nodeAddresses, REAL_NODE_NAME, type NodeAddresses } from './addresses.ts';
import { cniConflist, containerdConfig, kubeletConfig, kubeProxyConfig, REAL_NODE_LABEL } from './configs.ts';
import {
  containerIds,
  createNodeCgroup,
  createNodeNetwork,
  joinCgroupScript,
  removeHostLeftovers,
  removeNodeCgroup,
  removeNodeNetwork,
  unmountUnder,
} from './host.ts';
import { nodeLayout, type NodeLayout } from './layout.ts';
import { nodeImageRefs } from './node-images.ts';
import { CNI_BIN_DIR } from './prerequisites.ts';

export const NODE_COMPONENTS = ['containerd', 'kubelet', 'kube-proxy'] as const;
export type NodeComponent = (typeof NODE_COMPONENTS)[number];

/** What a cluster's state.json records of its real node. */
export interface RealNodeState {
  slot: number;
  ports: { kubeletHealthz: number; kubeProxyHealthz: number; kubeProxyMetrics: number };
}

/** Files in the cluster's pki/ and kubeconfig/ folders the node's components use. */
const FILES = {
  ca: 'pki/ca.crt',
  kubeletCert: 'pki/kubelet-serving.crt',
  kubeletKey: 'pki/kubelet-serving.key',
  kubeletKubeconfig: 'kubeconfig/kubelet.yaml',
  kubeProxyKubeconfig: 'kubeconfig/kube-proxy.yaml',
} as const;

/**
 * One real node on this machine, in a network namespace of its own: containerd (Debian's) with
 * runc and the CNI plugins, the kubelet and kube-proxy built from the pinned Kubernetes module.
 * Its daemons start inside the node's cgroup, so `teardown` finds every process they made.
 */
export class RealNode {
  readonly addresses: NodeAddresses;
  readonly layout: NodeLayout;
  readonly #clusterDir: string;
  readonly #state: RealNodeState;
  readonly #binaries: Binaries;

  constructor(clusterDir: string, state: RealNodeState, binaries: Binaries) {
    this.#clusterDir = clusterDir;
    this.#state = state;
    this.#binaries = binaries;
    this.addresses = nodeAddresses(state.slot);
    this.layout = nodeLayout(clusterDir, this.addresses);
  }

  #file(name: keyof typeof FILES): string {
    return join(this.#clusterDir, FILES[name]);
  }

  /** The host side: network namespace, link, routes, cgroup. Before the API server starts (it binds on the link). */
  prepareHost(): void {
    createNodeNetwork(this.addresses);
    createNodeCgroup(this.layout.cgroup);
  }

  /** The components' configuration files (certificates and kubeconfigs are written by the cluster). */
  async writeConfigs(): Promise<void> {
    const l = this.layout;
    for (const dir of [l.dir, l.runDir, l.cniConfDir, l.cniIpamDir, l.kubeletRoot, l.podLogsDir]) await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(l.containerdConfig, containerdConfig(l, { cniBinDir: CNI_BIN_DIR, pauseImage: nodeImageRefs().pause }));
    await writeFile(join(l.cniConfDir, '10-agent-sandbox.conflist'), cniConflist(this.addresses, l));
    await writeFile(
      l.kubeletConfig,
      kubeletConfig(
        this.addresses,
        l,
        { kubeconfig: this.#file('kubeletKubeconfig'), clientCaFile: this.#file('ca'), tlsCertFile: this.#file('kubeletCert'), tlsPrivateKeyFile: this.#file('kubeletKey') },
        this.#state.ports.kubeletHealthz,
      ),
    );
    await writeFile(
      l.kubeProxyConfig,
      kubeProxyConfig(this.addresses, this.#file('kubeProxyKubeconfig'), { healthz: this.#state.ports.kubeProxyHealthz, metrics: this.#state.ports.kubeProxyMetrics }),
    );
  }

  binary(component: NodeComponent): string {
    switch (component) {
      case 'containerd':
        return 'containerd';
      case 'kubelet':
        return this.#binaries.kubelet;
      case 'kube-proxy':
        return this.#binaries.kubeProxy;
    }
  }

  /**
   * The command that starts `component`: a shell that joins the node's cgroup, then enters its
   * network namespace and becomes the component (exec all the way: the pid is the component's).
   */
  command(component: NodeComponent): { command: string; args: string[] } {
    const argv = [this.binary(component), ...this.#args(component)].map(shellQuote).join(' ');
    return { command: '/bin/sh', args: ['-c', `${joinCgroupScript(this.layout.cgroup)}; exec nsenter --net=/run/netns/${this.addresses.netns} -- ${argv}`] };
  }

  #args(component: NodeComponent): string[] {
    switch (component) {
      case 'containerd':
        return ['--config', this.layout.containerdConfig, '--log-level', 'warn'];
      case 'kubelet':
        return [
          `--config=${this.layout.kubeletConfig}`,
          `--kubeconfig=${this.#file('kubeletKubeconfig')}`,
          `--root-dir=${this.layout.kubeletRoot}`,
          `--hostname-override=${REAL_NODE_NAME}`,
          `--node-ip=${this.addresses.nodeIp}`,
          `--node-labels=${REAL_NODE_LABEL}=true,type=real`,
          '--v=1',
        ];
      case 'kube-proxy':
        return [`--config=${this.layout.kubeProxyConfig}`, '--v=1'];
    }
  }

  async healthy(component: NodeComponent): Promise<boolean> {
    switch (component) {
      case 'containerd':
        return this.ctr(['version']).status === 0;
      case 'kubelet':
        return (await httpGet(`http://${this.addresses.nodeIp}:${this.#state.ports.kubeletHealthz}/healthz`)).status === 200;
      case 'kube-proxy':
        return (await httpGet(`http://${this.addresses.nodeIp}:${this.#state.ports.kubeProxyHealthz}/livez`)).status === 200;
    }
  }

  /** Runs containerd's own client against the node's containerd, in the CRI namespace. */
  ctr(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const res = spawnSync('ctr', ['--address', this.layout.containerdSocket, '--namespace', 'k8s.io', ...args], { encoding: 'utf8' });
    return { status: res.status, stdout: res.stdout ?? '', stderr: res.stderr ?? res.error?.message ?? '' };
  }

  /** Loads an image archive (as `docker save` writes it) into the node's image store, names kept. */
  async importImages(archive: string): Promise<void> {
    const child = spawn('ctr', ['--address', this.layout.containerdSocket, '--namespace', 'k8s.io', 'images', 'import', archive], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new Error(`importing ${archive} into the node's containerd failed: ${stderr.trim()}`);
  }

  /**
   * Removes every trace of the node from the host, whatever state it is in: processes (pods,
   * shims, daemons), mounts, cgroups, sockets, the network namespace with its link, bridge and
   * iptables chains, and the caches keyed by its names. Idempotent.
   */
  async teardown(): Promise<void> {
    await removeNodeCgroup(this.layout.cgroup);
    unmountUnder([this.layout.dir, this.layout.runDir]);
    removeHostLeftovers(this.layout, containerIds(this.layout));
    removeNodeNetwork(this.addresses);
    await rm(this.layout.runDir, { recursive: true, force: true });
    await rmdir(dirname(this.layout.runDir)).catch(() => undefined); // kept while another node uses it
  }
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
