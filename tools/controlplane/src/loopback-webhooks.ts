/**
 * Admission webhooks served by a process on this machine. The local control plane has no
 * Service network, so webhook configurations written for a cluster (a Service endpoint, a
 * caBundle injected later) are registered with a URL on loopback in its place; the rest of
 * each configuration (rules, selectors, failurePolicy, timeouts) stays as written.
 */
import { readFileSync } from 'node:fs';
import { KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

const WEBHOOK_KINDS = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];
/** Points cert-manager's CA injector at a Certificate; nothing here would answer it. */
const CA_INJECTION_ANNOTATION = 'cert-manager.io/inject-ca-from';

export interface LoopbackWebhookOptions {
  /** Base URL of the webhook server (`https://127.0.0.1:18443`); each Service path is appended. */
  url: string;
  /** Name of every configuration (default: the manifests' own). */
  name?: string;
  /** Replaces each webhook's namespaceSelector (a test confines the webhooks to its namespace). */
  namespaceSelector?: Record<string, unknown>;
}

interface ClientConfig {
  url?: string;
  service?: { path?: string };
  caBundle?: string;
}

interface WebhookConfiguration extends KubernetesObject {
  metadata: NonNullable<KubernetesObject['metadata']> & { name: string };
  webhooks?: Array<{ name: string; clientConfig: ClientConfig; namespaceSelector?: unknown }>;
}

/** The webhook configurations in `manifests` (YAML), rewritten to call `options.url`. */
export function loopbackWebhookConfigurations(manifests: string, options: LoopbackWebhookOptions): WebhookConfiguration[] {
  const base = options.url.replace(/\/$/, '');
  return parseAllDocuments(manifests)
    .map((doc) => doc.toJS() as WebhookConfiguration | null)
    .filter((object): object is WebhookConfiguration => object !== null && WEBHOOK_KINDS.includes(object.kind ?? ''))
    .map((object) => {
      const { annotations: written, ...metadata } = object.metadata;
      const { [CA_INJECTION_ANNOTATION]: _injected, ...annotations } = written ?? {};
      return {
        ...object,
        metadata: {
          ...metadata,
          name: options.name ?? metadata.name,
          ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        },
        webhooks: (object.webhooks ?? []).map((webhook) => {
          const { service, caBundle } = webhook.clientConfig;
          if (!service) throw new Error(`webhook ${webhook.name} of ${object.kind} ${object.metadata.name} has no Service endpoint to replace`);
          return {
            ...webhook,
            clientConfig: { url: `${base}${service.path ?? ''}`, ...(caBundle ? { caBundle } : {}) },
            ...(options.namespaceSelector ? { namespaceSelector: options.namespaceSelector } : {}),
          };
        }),
      };
    });
}

export interface LoopbackWebhooks {
  /** The configurations as registered. */
  configurations: WebhookConfiguration[];
  /** Deletes them, so that admission no longer waits for a server that is gone. */
  remove(): Promise<void>;
}

/**
 * Applies (server-side, as `fieldManager`) the webhook configurations of the manifest file
 * `file`, rewritten by `loopbackWebhookConfigurations`. A caBundle already written into them
 * (by the webhook's own patcher) is left to its writer.
 */
export async function registerLoopbackWebhooks(
  kc: KubeConfig,
  file: string,
  options: LoopbackWebhookOptions & { fieldManager: string },
): Promise<LoopbackWebhooks> {
  const configurations = loopbackWebhookConfigurations(readFileSync(file, 'utf8'), options);
  if (configurations.length === 0) throw new Error(`${file} holds no webhook configurations`);
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const configuration of configurations) {
    await api.patch(configuration, undefined, undefined, options.fieldManager, true, PatchStrategy.ServerSideApply);
  }
  return {
    configurations,
    async remove() {
      for (const { apiVersion, kind, metadata } of configurations) {
        await api.delete({ apiVersion, kind, metadata: { name: metadata.name } }).catch((err: { code?: number }) => {
          if (err.code !== 404) throw err;
        });
      }
    },
  };
}
