import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppsV1Api, type KubeConfig } from '@kubernetes/client-node';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type { Binaries } from '../build.ts';
import { waitFor } from '../http-probe.ts';
import { PACKAGE_DIR } from '../paths.ts';
import { readVersions } from '../versions.ts';
import { clusterDnsManifests } from './cluster-dns.ts';
import type { RealNode } from './real-node.ts';

const REGISTRY_PREFIX = 'localhost:5001/agent-sandbox';

/**
 * The images every real node has: the pod sandbox (pause), cluster DNS (CoreDNS), and for
 * tests Kubernetes' agnhost and kubectl, each from the pinned modules, built by tools/images.
 */
export function nodeImageRefs(): { pause: string; coredns: string; agnhost: string; kubectl: string } {
  const v = readVersions();
  const project = (JSON.parse(readFileSync(join(PACKAGE_DIR, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  return {
    pause: `${REGISTRY_PREFIX}/pause:${project}`,
    coredns: `${REGISTRY_PREFIX}/coredns:${v.coredns.replace(/^v/, '')}`,
    agnhost: `${REGISTRY_PREFIX}/agnhost:${v.kubernetes}`,
    kubectl: `${REGISTRY_PREFIX}/kubectl:${v.kubernetes}`,
  };
}

// TEMPORARY (experiment): archives made by hand until tools/images lands.
export async function loadNodeImages(node: RealNode, _binaries: Binaries, progress: (line: string) => void): Promise<void> {
  const started = Date.now();
  for (const name of ['pause', 'coredns', 'agnhost', 'kubectl']) node.importImage(`/tmp/exp/${name}.tar`);
  progress(`node images loaded in ${Date.now() - started} ms`);
}

export async function startClusterDns(kc: KubeConfig, kubectl: string, kubeconfigPath: string, dir: string, node: RealNode): Promise<void> {
  const file = join(dir, 'cluster-dns.yaml');
  writeFileSync(file, clusterDnsManifests({ dnsServiceIp: node.addresses.dnsServiceIp, image: nodeImageRefs().coredns }).map((m) => stringify(m)).join('---\n'));
  const res = spawnSync(kubectl, ['apply', '--server-side', '--field-manager=agent-sandbox-installer', '-f', file], { env: { ...process.env, KUBECONFIG: kubeconfigPath }, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`applying cluster DNS failed: ${res.stderr}`);
  const apps = kc.makeApiClient(AppsV1Api);
  await waitFor('cluster DNS (CoreDNS) to become ready', async () => {
    const d = await apps.readNamespacedDeployment({ name: 'coredns', namespace: 'kube-system' });
    return (d.status?.readyReplicas ?? 0) >= 1;
  }, 120_000, 200);
}
