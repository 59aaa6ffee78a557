/**
 * A pool's spec.maxReplicas for scale reviews (the review carries an autoscaling/v1 Scale,
 * not the pool). Read from the API server on each scale request: scaling is rare, and a
 * cache could let a just-lowered maxReplicas through.
 */
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { SANDBOX_WARM_POOL } from '@agent-sandbox/api';
import type { PoolCeilingLookup } from '../validate/validate.ts';

export function poolCeilingLookup(kc: KubeConfig, timeoutMs = 2_000): PoolCeilingLookup {
  const api = kc.makeApiClient(CustomObjectsApi);
  return async (namespace, name) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const pool = (await Promise.race([
        api.getNamespacedCustomObject({
          group: SANDBOX_WARM_POOL.group,
          version: SANDBOX_WARM_POOL.version,
          namespace,
          plural: SANDBOX_WARM_POOL.plural,
          name,
        }),
        timeout,
      ])) as { spec?: { maxReplicas?: unknown } };
      const max = pool.spec?.maxReplicas;
      return typeof max === 'number' ? max : undefined;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return 'not-found';
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };
}
