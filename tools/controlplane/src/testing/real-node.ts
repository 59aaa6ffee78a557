import { spawn, spawnSync } from 'node:child_process';
import { CoreV1Api, type KubeConfig, type V1Container, type V1Pod } from '@kubernetes/client-node';
import { inject } from 'vitest';
import { ensureBinaries } from '../build.ts';
import { waitFor } from '../http-probe.ts';
import { REAL_NODE_PLACEMENT } from '../node/configs.ts';
import { nodeImageRefs } from '../node/node-images.ts';
import { testKubeConfig } from './kube.ts';

export { REAL_NODE_PLACEMENT };

/** Images every real node has loaded: Kubernetes' agnhost (test servers) and kubectl. */
export function testImages(): { agnhost: string; kubectl: string } {
  const refs = nodeImageRefs();
  return { agnhost: refs.agnhost, kubectl: refs.kubectl };
}

/** A Pod that runs on the real node (and only there). */
export function realNodePod(name: string, containers: V1Container[], spec: Partial<V1Pod['spec']> = {}, labels: Record<string, string> = {}): V1Pod {
  return {
    metadata: { name, labels },
    spec: { ...REAL_NODE_PLACEMENT, terminationGracePeriodSeconds: 2, containers, ...spec },
  };
}

/** The pinned kubectl against the test cluster, as a user runs it. */
export async function kubectl(args: string[], options: { input?: string; timeoutMs?: number } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const bin = (await ensureBinaries()).kubectl;
  const res = spawnSync(bin, args, {
    env: { ...process.env, KUBECONFIG: inject('kubeconfig') },
    encoding: 'utf8',
    input: options.input,
    timeout: options.timeoutMs ?? 60_000,
  });
  return { status: res.status, stdout: res.stdout ?? '', stderr: res.stderr ?? '' };
}

/** `kubectl port-forward` in the background; resolves the local port once it forwards. */
export async function portForward(namespace: string, target: string, remotePort: number): Promise<{ port: number; stop: () => void }> {
  const bin = (await ensureBinaries()).kubectl;
  const child = spawn(bin, ['port-forward', '-n', namespace, target, `:${remotePort}`, '--address=127.0.0.1'], {
    env: { ...process.env, KUBECONFIG: inject('kubeconfig') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`port-forward did not start: ${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`port-forward exited ${code}: ${output}`)));
  });
  return { port, stop: () => child.kill('SIGTERM') };
}

export async function waitForPodReady(namespace: string, name: string, timeoutMs = 60_000, kc: KubeConfig = testKubeConfig()): Promise<V1Pod> {
  const core = kc.makeApiClient(CoreV1Api);
  let pod: V1Pod | undefined;
  await waitFor(`pod ${namespace}/${name} to become Ready`, async () => {
    pod = await core.readNamespacedPod({ name, namespace });
    return !!pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  }, timeoutMs, 100);
  return pod!;
}

/** Waits for a Pod with restartPolicy Never to end; returns its phase. */
export async function waitForPodDone(namespace: string, name: string, timeoutMs = 60_000, kc: KubeConfig = testKubeConfig()): Promise<V1Pod> {
  const core = kc.makeApiClient(CoreV1Api);
  let pod: V1Pod | undefined;
  await waitFor(`pod ${namespace}/${name} to finish`, async () => {
    pod = await core.readNamespacedPod({ name, namespace });
    return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
  }, timeoutMs, 100);
  return pod!;
}
