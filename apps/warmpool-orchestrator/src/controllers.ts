import { nameHash, SANDBOX_WARM_POOL, WARM_POOL_SANDBOX_LABEL, withoutPodTemplate } from '@agent-sandbox/api';
import { context, trace, type SpanContext } from '@opentelemetry/api';
import { controllerOf, Expectations, predicates, type KubeObject, type Manager, type Reconciler } from '@agent-sandbox/runtime';
import { Gauge, spanContextFromObject } from '@agent-sandbox/telemetry';
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
    .complete(joiningClaimTraces(poolReconciler(manager, { expectations, readyGraceMs: settings.readyGraceMs, maxBatch: settings.maxBatch, statusIntervalMs: settings.statusIntervalMs })));

  // Per pool: desired (spec), current and ready members (its status), read at each scrape so a
  // deleted pool's series go with it.
  new Gauge({
    name: 'agent_sandbox_warm_pool_replicas',
    help: 'Members of each SandboxWarmPool: desired (spec.replicas), current and ready (as its status says)',
    labelNames: ['namespace', 'pool', 'state'],
    registers: [manager.registry],
    collect() {
      this.reset();
      for (const p of pools.store.list()) {
        const labels = { namespace: p.metadata.namespace!, pool: p.metadata.name! };
        const status = p.status as { replicas?: number; readyReplicas?: number } | undefined;
        this.set({ ...labels, state: 'desired' }, p.spec.replicas ?? 1);
        this.set({ ...labels, state: 'current' }, status?.replicas ?? 0);
        this.set({ ...labels, state: 'ready' }, status?.readyReplicas ?? 0);
      }
    },
  });

  /**
   * The refill after a claim took a member joins that claim's trace: the member, as adopted,
   * names the adopting reconcile's span; the pool's next reconcile (its own trace, the pool's)
   * links to it, and a `refill SandboxWarmPool` span in the claim's trace, a child of the
   * adopting reconcile, links back and lasts as long as that reconcile.
   *
   * This program caches only unclaimed members (by their pool label), and the adoption removes
   * that label in the same write that moves the controller: the watch reports the member as
   * deleted, with its content from before the adoption (no claim, no claim's trace). So the
   * pool's reconcile reads each member that left its cache once, only when its own span is
   * recorded (traces are exported): the member as it is now says whether a claim took it and
   * in which trace. Without tracing nothing is read.
   */
  const departed = new Map<string, string[]>();
  const client = manager.client;
  function joiningClaimTraces(reconcile: Reconciler): Reconciler {
    return async (req, ctx) => {
      const names = departed.get(req.key) ?? [];
      departed.delete(req.key);
      if (names.length === 0 || !ctx.span.isRecording()) return reconcile(req, ctx);
      const startTime = Date.now();
      // Read concurrently with the reconcile: tracing does not delay the refill.
      const adopted = Promise.all(
        names.map(async (name): Promise<SpanContext | undefined> => {
          try {
            const now = await client.get<SandboxObject>(SandboxKind, { namespace: req.namespace, name }, { signal: ctx.signal, timeoutMs: 5_000 });
            const ref = controllerOf(now);
            if (now.metadata.deletionTimestamp || !ref || ref.kind === SANDBOX_WARM_POOL.kind) return undefined;
            return spanContextFromObject(now);
          } catch {
            return undefined; // gone (a real deletion) or unreadable: no trace to join
          }
        }),
      );
      try {
        return await reconcile(req, ctx);
      } finally {
        const claimSpans = (await adopted).filter((sc): sc is SpanContext => sc !== undefined);
        const tracer = trace.getTracer('warmpool-orchestrator');
        for (const claimSpan of claimSpans) {
          ctx.span.addLink({ context: claimSpan, attributes: { 'agent_sandbox.link': 'member adopted by a claim' } });
          tracer
            .startSpan(
              'refill SandboxWarmPool',
              {
                startTime,
                attributes: { 'k8s.namespace.name': req.namespace ?? '', 'k8s.object.name': req.name, 'k8s.kind': 'SandboxWarmPool' },
                links: [{ context: ctx.span.spanContext() }],
              },
              trace.setSpanContext(context.active(), claimSpan),
            )
            .end();
        }
      }
    };
  }

  // Expectations are lowered by what the informer shows. (A member taken by a claim leaves the
  // cache as a delete, which reaches its pool through owns().)
  sandboxes.addHandlers({
    add: (s) => {
      const key = poolKeyOf(s);
      if (key) expectations.creationObserved(key);
    },
    delete: (s) => {
      const key = poolKeyOf(s);
      if (!key) return;
      expectations.deletionObserved(key, s.metadata.name!);
      // Deleted, or taken by a claim (see joiningClaimTraces); bounded per pool.
      if (s.metadata.deletionTimestamp) return;
      const list = departed.get(key) ?? [];
      list.push(s.metadata.name!);
      if (list.length > 64) list.shift();
      departed.set(key, list);
    },
  });
  return { expectations };
}
