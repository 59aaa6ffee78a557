/**
 * Writes a generated CA into the caBundle of every webhook of the two configurations. JSON
 * patches with a `test` on each webhook's name, so a configuration edited in between is
 * re-read rather than patched at the wrong index.
 */
import { AdmissionregistrationV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';

export interface CaBundleTarget {
  kind: 'MutatingWebhookConfiguration' | 'ValidatingWebhookConfiguration';
  name: string;
}

type Webhooks = { name: string; clientConfig?: { caBundle?: string } }[];

/** Patches `target`; returns false when the configuration does not exist (yet). */
export async function patchCaBundle(kc: KubeConfig, target: CaBundleTarget, caBundle: string): Promise<boolean> {
  const api = kc.makeApiClient(AdmissionregistrationV1Api);
  const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);
  const mutating = target.kind === 'MutatingWebhookConfiguration';
  let webhooks: Webhooks;
  try {
    const current = mutating
      ? await api.readMutatingWebhookConfiguration({ name: target.name })
      : await api.readValidatingWebhookConfiguration({ name: target.name });
    webhooks = (current.webhooks ?? []) as Webhooks;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return false;
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
  if (mutating) await api.patchMutatingWebhookConfiguration({ name: target.name, body }, jsonPatch);
  else await api.patchValidatingWebhookConfiguration({ name: target.name, body }, jsonPatch);
  return true;
}
