import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildCacheEntry, cacheEntryComplete, GO_BUILD_ENV, runLogged as run } from '@agent-sandbox/cache';
import { cacheRoot, GO_MODULES_DIR } from './paths.ts';
import { cacheKey, readVersions, type Versions } from './versions.ts';

export interface Binaries {
  dir: string;
  versions: Versions;
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  kwok: string;
  /** The real node's kubelet and kube-proxy, from the same Kubernetes module. */
  kubelet: string;
  kubeProxy: string;
  /** Kubernetes' end-to-end test server (HTTP, DNS, network checks), for images of node tests. */
  agnhost: string;
  /** The real node's cluster DNS (a static binary, run as a Pod from an image of ours). */
  coredns: string;
  /** kwok's own Stage manifests (pod and node lifecycles), taken from the pinned module. */
  stagesDir: string;
}

/** kwok's stage manifests we run with, relative to the kwok module root. */
const KWOK_STAGES = [
  'kustomize/stage/node/fast/node-initialize.yaml',
  'kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml',
  'kustomize/stage/pod/fast/pod-ready.yaml',
  'kustomize/stage/pod/fast/pod-complete.yaml',
  'kustomize/stage/pod/fast/pod-delete.yaml',
];

function binariesIn(dir: string, versions: Versions): Binaries {
  const bin = (name: string) => join(dir, 'bin', name);
  return {
    dir,
    versions,
    etcd: bin('etcd'),
    kubeApiserver: bin('kube-apiserver'),
    kubeControllerManager: bin('kube-controller-manager'),
    kubeScheduler: bin('kube-scheduler'),
    kubectl: bin('kubectl'),
    kwok: bin('kwok'),
    kubelet: bin('kubelet'),
    kubeProxy: bin('kube-proxy'),
    agnhost: bin('agnhost'),
    coredns: bin('coredns'),
    stagesDir: join(dir, 'stages'),
  };
}

/** Where the binaries for the pinned versions live (built or not). */
export function binariesLocation(env: NodeJS.ProcessEnv = process.env): Binaries {
  const versions = readVersions();
  return binariesIn(join(cacheRoot(env), 'controlplane', cacheKey(versions)), versions);
}

export function binariesBuilt(env: NodeJS.ProcessEnv = process.env): Binaries | undefined {
  const b = binariesLocation(env);
  return cacheEntryComplete(b.dir) ? b : undefined;
}

/** `-X` flags that make the binaries report their real version (as Kubernetes' own build does). */
function kubernetesLdflags(version: string): string {
  const [major, minor] = version.replace(/^v/, '').split('.');
  const vars = {
    gitVersion: version,
    gitMajor: major!,
    gitMinor: minor!,
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
  };
  const pkgs = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'];
  return pkgs.flatMap((pkg) => Object.entries(vars).map(([k, v]) => `-X ${pkg}.${k}=${v}`)).join(' ');
}

/**
 * Builds etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok, and the
 * real node's kubelet, kube-proxy, CoreDNS and agnhost from the pinned Go modules into the
 * cache, unless they are there already (then this is a no-op).
 * Builds go to a temporary folder renamed into place at the end, so an interrupted or
 * concurrent build never leaves a half-filled cache entry.
 */
export async function ensureBinaries(progress: (line: string) => void = () => {}): Promise<Binaries> {
  const done = binariesBuilt();
  if (done) return done;
  const target = binariesLocation();
  const env = { ...process.env, ...GO_BUILD_ENV };
  const { kubernetes, etcd, kwok, coredns } = target.versions;
  const started = Date.now();
  await buildCacheEntry(target.dir, async (tmp, logFile) => {
    await mkdir(join(tmp, 'bin'), { recursive: true });
    await mkdir(join(tmp, 'stages'), { recursive: true });
    progress(
      `building Kubernetes ${kubernetes} (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kubelet, kube-proxy, agnhost) and etcd ${etcd} (first run: several minutes; log: ${logFile})`,
    );
    await run(
      'go',
      [
        'build',
        '-trimpath',
        '-ldflags',
        `-s -w ${kubernetesLdflags(kubernetes)}`,
        '-o',
        join(tmp, 'bin') + '/',
        'k8s.io/kubernetes/cmd/kube-apiserver',
        'k8s.io/kubernetes/cmd/kube-controller-manager',
        'k8s.io/kubernetes/cmd/kube-scheduler',
        'k8s.io/kubernetes/cmd/kubectl',
        'k8s.io/kubernetes/cmd/kubelet',
        'k8s.io/kubernetes/cmd/kube-proxy',
        'k8s.io/kubernetes/test/images/agnhost',
        './cmd/etcd',
      ],
      join(GO_MODULES_DIR, 'k8s'),
      logFile,
      env,
    );

    progress(`building kwok ${kwok}`);
    const kwokDir = join(GO_MODULES_DIR, 'kwok');
    await run('go', ['build', '-trimpath', '-ldflags', '-s -w', '-o', join(tmp, 'bin') + '/', 'sigs.k8s.io/kwok/cmd/kwok'], kwokDir, logFile, env);
    const kwokModule = (await run('go', ['list', '-m', '-f', '{{.Dir}}', 'sigs.k8s.io/kwok'], kwokDir, logFile, env)).trim();
    for (const stage of KWOK_STAGES) {
      await copyFile(join(kwokModule, stage), join(tmp, 'stages', stage.split('/').pop()!));
    }

    progress(`building CoreDNS ${coredns}`);
    await run('go', ['build', '-trimpath', '-ldflags', '-s -w', '-o', join(tmp, 'bin', 'coredns'), '.'], join(GO_MODULES_DIR, 'coredns'), logFile, env);

    await writeFile(join(tmp, 'versions.json'), JSON.stringify(target.versions, null, 2) + '\n');
  });
  progress(`control plane binaries ready in ${((Date.now() - started) / 1000).toFixed(0)} s: ${target.dir}`);
  return target;
}
