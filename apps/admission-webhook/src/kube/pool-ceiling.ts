/**
 * A pool's spec.maxReplicas for scale reviews (the review carries an autoscaling/v1 Scale,
 * not the pool). Read from the API server on each scale request: scaling is rare, and a
 * cache could let a just-lowered maxReplicas through.
 */
import { SANDBOX_WARM_POOL } from '@agent-sandbox/api';
import { isNotFound, type KubeClient, type KubeConnection, type KubeObject } from '@agent-sandbox/runtime';
import type { PoolCeilingLookup } from '../validate/validate.ts';
import { toClient } from './client.ts';

export function poolCeilingLookup(kc: KubeConnection | KubeClient, timeoutMs = 2_000): PoolCeilingLookup {
  const client = toClient(kc);
  return async (namespace, name) => {
    try {
      const pool = await client.get<KubeObject & { spec?: { maxReplicas?: unknown } }>(SANDBOX_WARM_POOL, { namespace, name }, { timeoutMs });
      const max = pool.spec?.maxReplicas;
      return typeof max === 'number' ? max : undefined;
    } catch (err) {
      if (isNotFound(err)) return 'not-found';
      throw err;
    }
  };
}
