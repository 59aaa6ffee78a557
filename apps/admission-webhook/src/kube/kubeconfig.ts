import { findKubeConfig, type KubeConfigLoader } from '@agent-sandbox/runtime';

/**
 * The kubeconfig to use, or undefined when there is none: `path` when given, else KUBECONFIG,
 * ~/.kube/config or the in-cluster service account. (Without one the webhook still serves,
 * holding scale reviews to the cluster ceiling and patching no caBundle.)
 */
export function loadKubeConfig(path: string, env: NodeJS.ProcessEnv = process.env): Promise<KubeConfigLoader | undefined> {
  return findKubeConfig(path, { env });
}
