/**
 * The pod metadata of the template behind a claim's pool (pool → sandboxTemplateRef →
 * template), read on claim reviews that add pod metadata, so that a claim which would change a
 * value the template sets is refused at the door rather than later as InvalidMetadata.
 */
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { SANDBOX_TEMPLATE, SANDBOX_WARM_POOL, type PodMetadata } from '@agent-sandbox/api';
import type { ClaimTemplateLookup } from '../validate/validate.ts';

export function claimTemplateLookup(kc: KubeConfig, timeoutMs = 2_000): ClaimTemplateLookup {
  const api = kc.makeApiClient(CustomObjectsApi);
  const read = async (info: typeof SANDBOX_WARM_POOL | typeof SANDBOX_TEMPLATE, namespace: string, name: string) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return (await Promise.race([api.getNamespacedCustomObject({ group: info.group, version: info.version, namespace, plural: info.plural, name }), timeout])) as {
        spec?: Record<string, unknown>;
      };
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };
  return async (namespace, poolName) => {
    const pool = await read(SANDBOX_WARM_POOL, namespace, poolName);
    const templateName = (pool?.spec?.sandboxTemplateRef as { name?: unknown } | undefined)?.name;
    if (typeof templateName !== 'string') return undefined;
    const template = await read(SANDBOX_TEMPLATE, namespace, templateName);
    const metadata = (template?.spec?.podTemplate as { metadata?: PodMetadata } | undefined)?.metadata;
    return metadata ? { ...(metadata.labels ? { labels: metadata.labels } : {}), ...(metadata.annotations ? { annotations: metadata.annotations } : {}) } : undefined;
  };
}
