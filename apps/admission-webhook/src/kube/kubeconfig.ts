import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';

/**
 * The kubeconfig to use, or undefined when there is none: `path` when given, else KUBECONFIG,
 * ~/.kube/config or the in-cluster service account. (The client library would otherwise
 * invent localhost:8080, and the program would retry against nothing.)
 */
export function loadKubeConfig(path: string, env: NodeJS.ProcessEnv = process.env): KubeConfig | undefined {
  const kc = new KubeConfig();
  if (path) {
    kc.loadFromFile(path);
    return kc;
  }
  const available = Boolean(env.KUBECONFIG) || existsSync(join(homedir(), '.kube', 'config')) || Boolean(env.KUBERNETES_SERVICE_HOST);
  if (!available) return undefined;
  kc.loadFromDefault();
  return kc;
}
