import { DEFAULT_ALLOWED_LABEL_DOMAINS, TEMPLATE_REF_HASH_LABEL, withoutPodTemplate } from '@agent-sandbox/api';
import { predicates, type KubeObject, type Manager } from '@agent-sandbox/runtime';
import { ClaimMetrics } from './claim/claim-metrics.ts';
import { claimReconciler } from './claim/claim-reconciler.ts';
import { LocalState } from './claim/local-state.ts';
import { ClaimKind, PoolKind, SandboxKind, TemplateKind, type ClaimObject, type PoolObject, type SandboxObject } from './kinds.ts';

export interface ControllerSettings {
  workers: number;
  allowedLabelDomains?: readonly string[];
}

const CLAIM_BY_POOL_INDEX = 'pool';
const POOL_BY_TEMPLATE_INDEX = 'template';

/** Registers the SandboxClaim controller and the claim metrics on `manager`. */
export function registerControllers(manager: Manager, settings: ControllerSettings): { metrics: ClaimMetrics; state: LocalState } {
  // Of Sandboxes, only those made from a template (pool members, cold starts, adopted members)
  // can be a claim's, and their pod template is never read here: both kept out of the cache.
  manager.select(SandboxKind, { labelSelector: TEMPLATE_REF_HASH_LABEL });
  manager.transform<SandboxObject>(SandboxKind, withoutPodTemplate);
  const claims = manager.informer<ClaimObject>(ClaimKind);
  // Only claims still waiting for a sandbox need a pool or template that appears.
  claims.store.addIndexer(CLAIM_BY_POOL_INDEX, (c) => (c.status?.sandbox?.name ? [] : [`${c.metadata.namespace}/${c.spec.warmPoolRef.name}`]));
  const pools = manager.informer<PoolObject>(PoolKind);
  pools.store.addIndexer(POOL_BY_TEMPLATE_INDEX, (p) => [`${p.metadata.namespace}/${p.spec.sandboxTemplateRef.name}`]);
  const sandboxes = manager.informer<SandboxObject>(SandboxKind);
  manager.informer(TemplateKind);
  const claimsOfPool = (ns: string | undefined, pool: string) => claims.store.byIndex(CLAIM_BY_POOL_INDEX, `${ns}/${pool}`).map((c) => `${c.metadata.namespace}/${c.metadata.name}`);

  const metrics = new ClaimMetrics(manager.registry);
  const state = new LocalState();
  sandboxes.addHandlers({ update: (_old, s) => state.observed(s), add: (s) => state.observed(s) });
  manager
    .controller('sandboxclaim')
    .for(ClaimKind, { predicates: [predicates.resourceVersionChanged] })
    .owns(SandboxKind, { predicates: [predicates.resourceVersionChanged] })
    // A pool or template that appears (or changes) reaches the claims still waiting on it.
    .watches(PoolKind, (p: KubeObject) => claimsOfPool(p.metadata.namespace, p.metadata.name!), { predicates: [predicates.resourceVersionChanged, predicates.generationChanged] })
    .watches(
      TemplateKind,
      (t: KubeObject) => pools.store.byIndex(POOL_BY_TEMPLATE_INDEX, `${t.metadata.namespace}/${t.metadata.name}`).flatMap((p) => claimsOfPool(p.metadata.namespace, p.metadata.name!)),
      { predicates: [predicates.resourceVersionChanged, predicates.generationChanged] },
    )
    .withOptions({ concurrency: settings.workers })
    .complete(claimReconciler(manager, { metrics, allowedLabelDomains: settings.allowedLabelDomains ?? DEFAULT_ALLOWED_LABEL_DOMAINS }, state));
  return { metrics, state };
}
