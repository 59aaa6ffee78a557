/**
 * The pod metadata of the template behind a claim's pool (pool → sandboxTemplateRef →
 * template), read on claim reviews that add pod metadata, so that a claim which would change a
 * value the template sets is refused at the door rather than later as InvalidMetadata.
 */
import { SANDBOX_TEMPLATE, SANDBOX_WARM_POOL, type PodMetadata } from '@agent-sandbox/api';
import { isNotFound, type KubeClient, type KubeConnection, type KubeObject } from '@agent-sandbox/runtime';
import type { ClaimTemplateLookup } from '../validate/validate.ts';
import { toClient } from './client.ts';

export function claimTemplateLookup(kc: KubeConnection | KubeClient, timeoutMs = 2_000): ClaimTemplateLookup {
  const client = toClient(kc);
  const read = async (kind: typeof SANDBOX_WARM_POOL | typeof SANDBOX_TEMPLATE, namespace: string, name: string) => {
    try {
      return await client.get<KubeObject & { spec?: Record<string, unknown> }>(kind, { namespace, name }, { timeoutMs });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
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
