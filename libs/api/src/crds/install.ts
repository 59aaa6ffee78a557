/**
 * Installs (or updates) the four CRDs with server-side apply: the CRDs embed the full PodSpec
 * schema and are too large for client-side apply's last-applied annotation. Applying with
 * force under one field manager is idempotent and safe when several processes install at
 * once.
 */
import { ApiextensionsV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { crdName, customResourceDefinitions, KIND_DEFINITIONS } from './definitions.ts';

export const CRD_FIELD_MANAGER = 'agent-sandbox-installer';

export interface InstallOptions {
  fieldManager?: string;
  /** How long to wait for every CRD to be Established (default 60 s; 0: do not wait). */
  timeoutMs?: number;
}

export async function installCrds(kc: KubeConfig, options: InstallOptions = {}): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const fieldManager = options.fieldManager ?? CRD_FIELD_MANAGER;
  const applyOptions = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
  await Promise.all(
    customResourceDefinitions().map((crd) =>
      api.patchCustomResourceDefinition(
        { name: crd.metadata.name, body: crd, fieldManager, force: true, fieldValidation: 'Strict' },
        applyOptions,
      ),
    ),
  );
  const timeoutMs = options.timeoutMs ?? 60_000;
  if (timeoutMs > 0) await waitForCrdsEstablished(kc, timeoutMs);
}

/** Waits until the API server serves every CRD (condition Established and NamesAccepted). */
export async function waitForCrdsEstablished(kc: KubeConfig, timeoutMs = 60_000): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const deadline = Date.now() + timeoutMs;
  for (const def of KIND_DEFINITIONS) {
    for (;;) {
      const crd = await api.readCustomResourceDefinition({ name: crdName(def) });
      const conditions = crd.status?.conditions ?? [];
      const isTrue = (type: string) => conditions.some((c) => c.type === type && c.status === 'True');
      if (isTrue('Established') && isTrue('NamesAccepted')) break;
      if (Date.now() > deadline) {
        throw new Error(`CRD ${crdName(def)} not established after ${timeoutMs} ms: ${JSON.stringify(conditions)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
