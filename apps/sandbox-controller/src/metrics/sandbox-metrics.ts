import { ConditionType, LAUNCH_TYPE_LABEL, TEMPLATE_REF_ANNOTATION } from '@agent-sandbox/api';
import { controllerOf, findCondition, type Condition } from '@agent-sandbox/runtime';
import { Gauge, Histogram, type Registry } from '@agent-sandbox/telemetry';
import type { SandboxObject } from '../kinds.ts';

const LATENCY_BUCKETS_MS = [50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000];

type GaugeLabel = 'namespace' | 'ready_condition' | 'launch_type' | 'template' | 'owner_kind';

export const launchTypeOf = (s: SandboxObject): string => s.metadata.labels?.[LAUNCH_TYPE_LABEL] ?? 'none';
export const templateOf = (s: SandboxObject): string => s.metadata.annotations?.[TEMPLATE_REF_ANNOTATION] ?? 'none';

/** The `agent_sandboxes` series: how many sandboxes share each label set. */
export function countSandboxes(sandboxes: Iterable<SandboxObject>): Map<string, { labels: Record<GaugeLabel, string>; count: number }> {
  const out = new Map<string, { labels: Record<GaugeLabel, string>; count: number }>();
  for (const s of sandboxes) {
    const labels: Record<GaugeLabel, string> = {
      namespace: s.metadata.namespace ?? '',
      ready_condition: findCondition(s.status?.conditions as Condition[] | undefined, ConditionType.Ready)?.status ?? 'Unknown',
      launch_type: launchTypeOf(s),
      template: templateOf(s),
      owner_kind: controllerOf(s)?.kind ?? 'none',
    };
    const key = JSON.stringify(labels);
    const entry = out.get(key);
    if (entry) entry.count++;
    else out.set(key, { labels, count: 1 });
  }
  return out;
}

/**
 * The sandbox metrics of the standard: creation latency (creation → first Ready) observed as
 * it happens, and the `agent_sandboxes` gauge computed from the cache at scrape time.
 */
export class SandboxMetrics {
  readonly creationLatency: Histogram<'namespace' | 'launch_type' | 'template'>;

  constructor(registry: Registry, sandboxes: () => Iterable<SandboxObject>) {
    this.creationLatency = new Histogram({
      name: 'agent_sandbox_creation_latency_ms',
      help: 'Time from a Sandbox\'s creation to its first Ready, in milliseconds',
      labelNames: ['namespace', 'launch_type', 'template'],
      buckets: LATENCY_BUCKETS_MS,
      registers: [registry],
    });
    new Gauge<GaugeLabel>({
      name: 'agent_sandboxes',
      help: 'Sandboxes by namespace, Ready condition, launch type, template and owner kind',
      labelNames: ['namespace', 'ready_condition', 'launch_type', 'template', 'owner_kind'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { labels, count } of countSandboxes(sandboxes()).values()) this.set(labels, count);
      },
    });
  }

  observeFirstReady(sandbox: SandboxObject, now: Date): void {
    const created = Date.parse(sandbox.metadata.creationTimestamp ?? '');
    if (Number.isNaN(created)) return;
    this.creationLatency.observe(
      { namespace: sandbox.metadata.namespace ?? '', launch_type: launchTypeOf(sandbox), template: templateOf(sandbox) },
      Math.max(0, now.getTime() - created),
    );
  }
}
