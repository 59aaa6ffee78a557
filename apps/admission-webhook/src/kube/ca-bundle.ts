/**
 * Writes a generated CA into the caBundle of every webhook of the two configurations. JSON
 * patches with a `test` on each webhook's name, so a configuration edited in between is
 * re-read rather than patched at the wrong index.
 */
import { isNotFound, type KubeClient, type KubeConnection, type KubeObject, type ResourceKind } from '@agent-sandbox/runtime';
import { toClient } from './client.ts';

export interface CaBundleTarget {
  kind: 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration';
  name: string;
}

type Webhooks = { name: string; clientConfig?: { caBundle?: string } }[];

const KINDS: Record<CaBundleTarget['kind'], ResourceKind> = {
  MutatingWebhookConfiguration: { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'MutatingWebhookConfiguration', plural: 'mutatingwebhookconfigurations', namespaced: false },
  ValidatingWebhookConfiguration: { group: 'admissionregistration.k8s.io', version: 'v1', kind: 'ValidatingWebhookConfiguration', plural: 'validatingwebhookconfigurations', namespaced: false },
};

/** Patches `target`; returns false when the configuration does not exist (yet). */
export async function patchCaBundle(kc: KubeConnection | KubeClient, target: CaBundleTarget, caBundle: string): Promise<boolean> {
  const client = toClient(kc);
  const kind = KINDS[target.kind];
  let webhooks: Webhooks;
  try {
    const current = await client.get<KubeObject & { webhooks?: Webhooks }>(kind, { name: target.name });
    webhooks = current.webhooks ?? [];
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
  const body = webhooks.flatMap((w, i) =>
    w.clientConfig?.caBundle === caBundle
      ? []
      : [
          { op: 'test', path: `/webhooks/${i}/name`, value: w.name },
          { op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: caBundle },
        ],
  );
  if (body.length === 0) return true;
  await client.patch(kind, { name: target.name }, body, { type: 'json' });
  return true;
}
