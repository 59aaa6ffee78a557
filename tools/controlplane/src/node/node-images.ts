import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppsV1Api, type KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import {
  buildRecipe,
  DEFAULT_REGISTRY,
  DEFAULT_REPOSITORY_PREFIX,
  imagesCacheDir,
  recipe,
  staticBinaryImage,
  workspaceVersion,
  writeImagesArchive,
  type BuiltImage,
} from '@agent-sandbox/images';
import type { Binaries } from '../build.ts';
import { waitFor } from '../http-probe.ts';
import { readVersions } from '../versions.ts';
import { clusterDnsManifests } from './cluster-dns.ts';
import type { RealNode } from './real-node.ts';

export interface NodeImageRefs {
  /** The pod sandbox's image: Kubernetes' pause.c, built static. */
  pause: string;
  /** Cluster DNS. */
  coredns: string;
  /** Kubernetes' end-to-end test server (netexec, dns checks, pause…) at /agnhost. */
  agnhost: string;
  /** The pinned kubectl, for in-cluster client tests. */
  kubectl: string;
}

/** What every real node has loaded, named as the images tooling names them. */
export function nodeImageRefs(): NodeImageRefs {
  const v = readVersions();
  const repo = (name: string) => `${DEFAULT_REGISTRY}/${DEFAULT_REPOSITORY_PREFIX}/${name}`;
  return {
    pause: `${repo('pause')}:${workspaceVersion()}`,
    coredns: `${repo('coredns')}:${v.coredns.replace(/^v/, '')}`,
    agnhost: `${repo('agnhost')}:${v.kubernetes}`,
    kubectl: `${repo('kubectl')}:${v.kubernetes}`,
  };
}

/**
 * Builds the node's images from the pinned binaries (a few seconds when the image cache has
 * them) into one archive, each layer once: one `ctr import` loads them all.
 */
export async function buildNodeImages(binaries: Binaries): Promise<{ images: BuiltImage[]; archive: string }> {
  const v = readVersions();
  const images = [
    await buildRecipe(recipe('pause')),
    await staticBinaryImage({ name: 'coredns', tag: v.coredns.replace(/^v/, ''), binary: binaries.coredns, exposedPorts: ['53/udp', '53/tcp', '9153/tcp'], description: `CoreDNS ${v.coredns} (cluster DNS of the local real node)` }),
    await staticBinaryImage({ name: 'agnhost', tag: v.kubernetes, binary: binaries.agnhost, path: '/agnhost', description: `Kubernetes' agnhost test server from k8s.io/kubernetes ${v.kubernetes}` }),
    await staticBinaryImage({ name: 'kubectl', tag: v.kubernetes, binary: binaries.kubectl, description: `kubectl ${v.kubernetes}` }),
  ];
  const refs = nodeImageRefs();
  for (const [ref, built] of [refs.pause, refs.coredns, refs.agnhost, refs.kubectl].map((r, i) => [r, images[i]!.ref] as const)) {
    if (ref !== built) throw new Error(`node image built as ${built}, expected ${ref}`);
  }
  const archive = join(imagesCacheDir(), 'archives', `real-node-${images.map((i) => i.digest.slice(7, 19)).join('-')}.tar`);
  if (!existsSync(archive)) await writeImagesArchive(images, archive);
  return { images, archive };
}

/** Applies cluster DNS and waits for CoreDNS to be Ready on the node. */
export async function startClusterDns(kc: KubeConfig, kubectl: string, kubeconfigPath: string, dir: string, node: RealNode): Promise<void> {
  const file = join(dir, 'cluster-dns.yaml');
  const manifests = clusterDnsManifests({ dnsServiceIp: node.addresses.dnsServiceIp, image: nodeImageRefs().coredns });
  writeFileSync(file, manifests.map((m) => stringify(m)).join('---\n'));
  const res = spawnSync(kubectl, ['apply', '--server-side', '--field-manager=agent-sandbox-installer', '-f', file], {
    env: { ...process.env, KUBECONFIG: kubeconfigPath },
    encoding: 'utf8',
  });
  if (res.status !== 0) throw new Error(`applying cluster DNS failed: ${res.stderr}`);
  const apps = kc.makeApiClient(AppsV1Api);
  await waitFor('cluster DNS (CoreDNS) to become ready', async () => {
    const d = await apps.readNamespacedDeployment({ name: 'coredns', namespace: 'kube-system' });
    return (d.status?.readyReplicas ?? 0) >= 1;
  }, 120_000, 200);
}
