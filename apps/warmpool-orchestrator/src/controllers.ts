import { nameHash, SANDBOX_WARM_POOL, WARM_POOL_SANDBOX_LABEL, withoutPodTemplate } from '@agent-sandbox/api';
import { controllerOf, Expectations, predicates, type KubeObject, type Manager } from '@agent-sandbox/runtime';
import { PoolKind, SandboxKind, TemplateKind, type PoolObject, type SandboxObject } from './kinds.ts';
import { poolReconciler, POOL_LABEL_INDEX } from './pool/pool-reconciler.ts';

export interface ControllerSettings {
  workers: number;
  readyGraceMs: number;
  maxBatch: number;
  expectationsTimeoutMs: number;
  statusIntervalMs?: number;
}

const POOL_BY_TEMPLATE_INDEX = 'template';
const POOL_BY_NAME_HASH_INDEX = 'name-hash';

/** The pool key of a Sandbox's controller, when that controller is a pool. */
function poolKeyOf(obj: KubeObject): string | undefined {
  const ref = controllerOf(obj);
  if (!ref || ref.kind !== SANDBOX_WARM_POOL.kind || !ref.apiVersion.startsWith(`${SANDBOX_WARM_POOL.group}/`)) return undefined;
  return `${obj.metadata.namespace}/${ref.name}`;
}

/** Registers the SandboxWarmPool controller on `manager`. */
export function registerControllers(manager: Manager, settings: ControllerSettings): { expectations: Expectations } {
  // Only unclaimed members (and orphans with a pool's label) matter here, and of their spec only
  // whether it is fresh: a claimed member leaves the cache as a delete, which reaches its pool.
  manager.select(SandboxKind, { labelSelector: WARM_POOL_SANDBOX_LABEL });
  manager.transform<SandboxObject>(SandboxKind, withoutPodTemplate);
  const sandboxes = manager.informer<SandboxObject>(SandboxKind);
  sandboxes.store.addIndexer(POOL_LABEL_INDEX, (s) => {
    const value = s.metadata.labels?.[WARM_POOL_SANDBOX_LABEL];
    return value ? [`${s.metadata.namespace}/${value}`] : [];
  });
  const pools = manager.informer<PoolObject>(PoolKind);
  pools.store.addIndexer(POOL_BY_TEMPLATE_INDEX, (p) => [`${p.metadata.namespace}/${p.spec.sandboxTemplateRef.name}`]);
  pools.store.addIndexer(POOL_BY_NAME_HASH_INDEX, (p) => [`${p.metadata.namespace}/${nameHash(p.metadata.name!)}`]);
  const keysOf = (list: KubeObject[]) => list.map((p) => `${p.metadata.namespace}/${p.metadata.name}`);

  const expectations = new Expectations(settings.expectationsTimeoutMs);
  manager
    .controller('sandboxwarmpool')
    // Our own status writes do not come back as work; scale, template and strategy changes do.
    .for(PoolKind, { predicates: [predicates.resourceVersionChanged, predicates.any(predicates.generationChanged, predicates.labelsChanged)] })
    .owns(SandboxKind, { predicates: [predicates.resourceVersionChanged] })
    // Orphans with a pool's label reach that pool, to be adopted.
    .watches<SandboxObject>(
      SandboxKind,
      (s) => (controllerOf(s) ? [] : keysOf(pools.store.byIndex(POOL_BY_NAME_HASH_INDEX, `${s.metadata.namespace}/${s.metadata.labels?.[WARM_POOL_SANDBOX_LABEL] ?? ''}`))),
      { predicates: [predicates.resourceVersionChanged] },
    )
    .watches(TemplateKind, (t) => keysOf(pools.store.byIndex(POOL_BY_TEMPLATE_INDEX, `${t.metadata.namespace}/${t.metadata.name}`)), {
      predicates: [predicates.resourceVersionChanged, predicates.generationChanged],
    })
    .withOptions({ concurrency: settings.workers })
    .complete(poolReconciler(manager, { expectations, readyGraceMs: settings.readyGraceMs, maxBatch: settings.maxBatch, statusIntervalMs: settings.statusIntervalMs }));

  // Expectations are lowered by what the informer shows. (A member taken by a claim reaches
  // its former pool through owns(): an update enqueues the old controller as well.)
  sandboxes.addHandlers({
    add: (s) => {
      const key = poolKeyOf(s);
      if (key) expectations.creationObserved(key);
    },
    delete: (s) => {
      const key = poolKeyOf(s);
      if (key) expectations.deletionObserved(key, s.metadata.name!);
    },
  });
  return { expectations };
}
