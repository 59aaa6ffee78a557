import { KubeClient, type KubeConnection } from '@agent-sandbox/runtime';

/** The webhook's API client: one KubeClient, made from a kubeconfig when given one. */
export function toClient(kc: KubeConnection | KubeClient): KubeClient {
  return kc instanceof KubeClient ? kc : new KubeClient(kc);
}
