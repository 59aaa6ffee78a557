import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '@agent-sandbox/telemetry';
import type { SandboxObject } from '../kinds.ts';
import { countSandboxes, SandboxMetrics } from './sandbox-metrics.ts';

const sb = (name: string, ready: string | undefined, labels: Record<string, string> = {}, owner?: string): SandboxObject => ({
  apiVersion: 'agents.x-k8s.io/v1beta1',
  kind: 'Sandbox',
  metadata: { name, namespace: 'n', labels, creationTimestamp: '2030-01-01T00:00:00Z', ...(owner ? { ownerReferences: [{ apiVersion: 'x/v1', kind: owner, name: 'o', uid: 'u', controller: true }] } : {}) },
  spec: { podTemplate: { spec: { containers: [] } } },
  status: ready ? { conditions: [{ type: 'Ready', status: ready as 'True', reason: 'r', message: '', lastTransitionTime: 't' }] } : {},
});

describe('sandbox metrics', () => {
  it('counts sandboxes by their labels', () => {
    const counts = [...countSandboxes([sb('a', 'True'), sb('b', 'True'), sb('c', undefined, { 'agents.x-k8s.io/launch-type': 'warm' }, 'SandboxWarmPool')]).values()];
    expect(counts).toEqual([
      { labels: { namespace: 'n', ready_condition: 'True', launch_type: 'none', template: 'none', owner_kind: 'none' }, count: 2 },
      { labels: { namespace: 'n', ready_condition: 'Unknown', launch_type: 'warm', template: 'none', owner_kind: 'SandboxWarmPool' }, count: 1 },
    ]);
  });

  it('computes the gauge from the cache at scrape time and observes creation latency', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    let cache = [sb('a', 'True')];
    const metrics = new SandboxMetrics(registry, () => cache);
    expect(await registry.getSingleMetricAsString('agent_sandboxes')).toContain('ready_condition="True"');
    cache = [sb('a', 'False')];
    const text = await registry.getSingleMetricAsString('agent_sandboxes');
    expect(text).toContain('ready_condition="False"');
    expect(text).not.toContain('ready_condition="True"');
    metrics.observeFirstReady(sb('a', 'True'), new Date('2030-01-01T00:00:01.500Z'));
    expect(await registry.getSingleMetricAsString('agent_sandbox_creation_latency_ms')).toContain('agent_sandbox_creation_latency_ms_sum{namespace="n",launch_type="none",template="none"} 1500');
  });
});
