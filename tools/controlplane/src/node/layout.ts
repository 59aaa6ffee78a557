import { join } from 'node:path';
import type { NodeAddresses } from './addresses.ts';

/**
 * Where a real node keeps its files. Everything persistent is inside the cluster's folder;
 * sockets and runtime state go under /run/agent-sandbox/<slot> (Unix socket paths are limited
 * to 108 bytes, and a cache folder can be deep). `down` removes both.
 */
export interface NodeLayout {
  /** <cluster>/node */
  dir: string;
  /** /run/agent-sandbox/<slot> */
  runDir: string;
  containerdRoot: string;
  containerdState: string;
  containerdSocket: string;
  containerdConfig: string;
  runcRoot: string;
  cniConfDir: string;
  cniIpamDir: string;
  /** The network's name in CNI (host-local and libcni's caches are keyed by it). */
  cniNetwork: string;
  kubeletRoot: string;
  kubeletConfig: string;
  podLogsDir: string;
  kubeProxyConfig: string;
  /** cgroup (v1: in every hierarchy) holding the node's daemons and its pods. */
  cgroup: string;
}

export function nodeLayout(clusterDir: string, addresses: NodeAddresses): NodeLayout {
  const dir = join(clusterDir, 'node');
  const runDir = join('/run/agent-sandbox', String(addresses.slot));
  return {
    dir,
    runDir,
    containerdRoot: join(dir, 'containerd'),
    containerdState: join(runDir, 'containerd'),
    containerdSocket: join(runDir, 'containerd.sock'),
    containerdConfig: join(dir, 'containerd.toml'),
    runcRoot: join(runDir, 'runc'),
    cniConfDir: join(dir, 'cni', 'net.d'),
    cniIpamDir: join(dir, 'cni', 'ipam'),
    cniNetwork: addresses.netns,
    kubeletRoot: join(dir, 'kubelet'),
    kubeletConfig: join(dir, 'kubelet-config.yaml'),
    podLogsDir: join(dir, 'pod-logs'),
    kubeProxyConfig: join(dir, 'kube-proxy-config.yaml'),
    cgroup: addresses.netns,
  };
}
