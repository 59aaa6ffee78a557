import { describe, expect, it } from 'vitest';
import { chartPlan, chartValues, CHART_PROGRAMS, deepMerge, umbrellaComponents, helmInstallArgs, kindCommands, kwokManifestUrls, rolledOut, withPodDelay } from './install.ts';

const paths = { archive: '/cache/programs.tar', valuesFile: '/tmp/values.yaml' };

describe('the chart e2e plan', () => {
  const local = chartPlan('local', 'c', '/k/config', paths);
  const kind = chartPlan('kind', 'c', '/k/config', paths);

  it('kind and local share every step but making the cluster, loading the images and removing the cluster', () => {
    expect(local.map((s) => s.id)).toEqual(kind.map((s) => s.id));
    const differing = local.filter((s, i) => JSON.stringify(s) !== JSON.stringify(kind[i])).map((s) => s.id);
    expect(differing).toEqual(['cluster', 'load', 'down']);
  });

  it('loads the one archive: kind load image-archive on kind, ctr import on the real node', () => {
    expect(kind.find((s) => s.id === 'load')!.command).toEqual(['kind', 'load', 'image-archive', '/cache/programs.tar', '--name', 'c']);
    expect(local.find((s) => s.id === 'load')!.command).toEqual(['ctr', '--namespace', 'k8s.io', 'images', 'import', '/cache/programs.tar']);
    expect(kind.find((s) => s.id === 'cluster')!.command).toEqual(kindCommands('c', '/k/config').create);
  });

  it('installs and upgrades with the same helm command, from this checkout\'s chart', () => {
    const install = local.find((s) => s.id === 'install')!.command!;
    expect(install).toEqual(['helm', ...helmInstallArgs('/k/config', 'agent-sandbox', 'agent-sandbox-system', '/tmp/values.yaml')]);
    expect(install.slice(0, 4)).toEqual(['helm', 'upgrade', '--install', 'agent-sandbox']);
    expect(install[4]).toMatch(/deploy\/charts\/agent-sandbox$/);
    expect(local.find((s) => s.id === 'upgrade')!.command).toEqual(install);
  });
});

describe('chartValues', () => {
  const images = { registry: 'localhost:5001', tag: '0.1.0' };

  it('points every program at the built images, never pulling where they were loaded, placed on the real node', () => {
    const placement = { nodeSelector: { 'agent-sandbox.local/real-node': 'true' }, tolerations: [{ key: 'agent-sandbox.local/real-node', operator: 'Equal', value: 'true', effect: 'NoSchedule' }] };
    const v = chartValues(images, { placement, pullPolicy: 'Never' });
    expect(v.global).toEqual({ image: { registry: 'localhost:5001', tag: '0.1.0', pullPolicy: 'Never' }, nodeSelector: placement.nodeSelector, tolerations: placement.tolerations });
    for (const p of CHART_PROGRAMS) expect(v[p]).toEqual({ enabled: true });
    expect(v.crds).toEqual({ enabled: true, keep: true });
  });

  it('switches off the programs not asked for, and merges extra values deeply', () => {
    const v = chartValues(images, { placement: { nodeSelector: {}, tolerations: [] }, pullPolicy: 'IfNotPresent' }, {
      programs: ['sandbox-controller', 'admission-webhook'],
      crds: { keep: false },
      values: { 'sandbox-controller': { logLevel: 'debug' }, global: { image: { tag: '9' } } },
    });
    expect(v['sandbox-controller']).toEqual({ enabled: true, logLevel: 'debug' });
    expect(v['claim-controller']).toEqual({ enabled: false });
    expect(v['admission-webhook']).toEqual({ enabled: true });
    expect(v.crds).toEqual({ enabled: true, keep: false });
    expect(v.global).toMatchObject({ image: { registry: 'localhost:5001', tag: '9', pullPolicy: 'IfNotPresent' } });
  });

  it('switches off every other component of the umbrella chart (its image was not built)', () => {
    const components = umbrellaComponents();
    expect(components).toEqual(expect.arrayContaining([...CHART_PROGRAMS, 'sandbox-router']));
    expect(components).not.toContain('crds');
    const v = chartValues(images, { placement: { nodeSelector: {}, tolerations: [] }, pullPolicy: 'Never' }, { programs: ['sandbox-controller'] });
    for (const c of components) expect(v[c]).toEqual({ enabled: c === 'sandbox-controller' });
    const chartYaml = ['apiVersion: v2', 'dependencies:', '  - name: crds', '    condition: crds.enabled', '  - name: lib', '  - name: extra', '    condition: extra.enabled'].join('\n');
    expect(umbrellaComponents(chartYaml)).toEqual(['extra']);
  });

  it('deepMerge replaces lists and scalars, merges objects', () => {
    expect(deepMerge({ a: { b: 1, c: [1] }, d: 1 }, { a: { c: [2] }, d: { e: 1 } })).toEqual({ a: { b: 1, c: [2] }, d: { e: 1 } });
  });
});

describe('rolledOut', () => {
  const d = (status: Record<string, number>, generation = 2, replicas = 1) => ({ metadata: { generation }, spec: { replicas, selector: {}, template: {} }, status });
  it('holds only when the current generation is observed and every replica is updated, Ready and available', () => {
    expect(rolledOut(d({ observedGeneration: 2, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 }))).toBe(true);
    expect(rolledOut(d({ observedGeneration: 1, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 }))).toBe(false);
    // mid-roll: the surge Pod is there, the old one not gone yet
    expect(rolledOut(d({ observedGeneration: 2, replicas: 2, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2 }))).toBe(false);
    expect(rolledOut(d({ observedGeneration: 2, replicas: 1, updatedReplicas: 1, readyReplicas: 0, availableReplicas: 0 }))).toBe(false);
  });
});

describe('the kind cluster', () => {
  it("gets kwok's pod-ready stage honouring a Pod's own delay, other stages unchanged", () => {
    const ready = withPodDelay({ apiVersion: 'kwok.x-k8s.io/v1alpha1', kind: 'Stage', metadata: { name: 'pod-ready' }, spec: { next: { statusTemplate: 'x' } } } as never) as unknown as { spec: Record<string, unknown> };
    expect(ready.spec.next).toEqual({ statusTemplate: 'x' });
    expect(ready.spec.delay).toMatchObject({ durationFrom: { expressionFrom: '.metadata.annotations["pod-ready.stage.kwok.x-k8s.io/delay"]' } });
    const other = { apiVersion: 'kwok.x-k8s.io/v1alpha1', kind: 'Stage', metadata: { name: 'pod-delete' }, spec: {} };
    expect(withPodDelay(other)).toBe(other);
  });

  it('takes kwok from the release of the version the local cluster pins', () => {
    expect(kwokManifestUrls('v0.8.0')).toEqual([
      'https://github.com/kubernetes-sigs/kwok/releases/download/v0.8.0/kwok.yaml',
      'https://github.com/kubernetes-sigs/kwok/releases/download/v0.8.0/stage-fast.yaml',
    ]);
  });
});
