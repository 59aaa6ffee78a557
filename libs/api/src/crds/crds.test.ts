import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JsonSchema } from '../schema/builder.ts';
import { CRD_DIR, customResourceDefinitions, renderCrds } from './index.ts';

type Version = {
  schema: { openAPIV3Schema: JsonSchema };
  subresources: Record<string, unknown>;
  additionalPrinterColumns?: { name: string; jsonPath: string; priority?: number }[];
};
const crds = Object.fromEntries(customResourceDefinitions().map((crd) => [crd.metadata.name, crd]));
const version = (name: string) => (crds[name]!.spec.versions as Version[])[0]!;
const root = (name: string) => version(name).schema.openAPIV3Schema;
const at = (schema: JsonSchema, path: string): JsonSchema =>
  path.split('.').reduce((s, p) => (p === '[]' ? s.items! : s.properties![p]!), schema);

/** Every node of a schema with its path. */
function* nodes(schema: JsonSchema, path = ''): Generator<[string, JsonSchema]> {
  yield [path, schema];
  for (const [k, v] of Object.entries(schema.properties ?? {})) yield* nodes(v, `${path}.${k}`);
  if (schema.items) yield* nodes(schema.items, `${path}[]`);
  if (typeof schema.additionalProperties === 'object') yield* nodes(schema.additionalProperties, `${path}{}`);
}

const SANDBOX = 'sandboxes.agents.x-k8s.io';
const TEMPLATE = 'sandboxtemplates.extensions.agents.x-k8s.io';
const CLAIM = 'sandboxclaims.extensions.agents.x-k8s.io';
const POOL = 'sandboxwarmpools.extensions.agents.x-k8s.io';

describe('generated CRDs', () => {
  it('match the checked-in copies under deploy/crds (run `npm run generate` after changing libs/api)', () => {
    const rendered = renderCrds();
    const onDisk = readdirSync(CRD_DIR).filter((f) => f.endsWith('.yaml')).sort();
    expect(onDisk).toEqual(rendered.map((r) => r.fileName).sort());
    for (const { fileName, content } of rendered) {
      expect(readFileSync(join(CRD_DIR, fileName), 'utf8') === content, `${fileName} is stale: run npm run generate`).toBe(true);
    }
  });

  it('name the four kinds with their groups, short names and subresources', () => {
    expect(Object.keys(crds).sort()).toEqual([CLAIM, SANDBOX, TEMPLATE, POOL].sort());
    const names = (n: string) => crds[n]!.spec.names as { shortNames: string[]; kind: string };
    expect(names(SANDBOX).shortNames).toEqual(['sandbox']);
    expect(names(TEMPLATE).shortNames).toEqual(['sandboxtemplate']);
    expect(names(CLAIM).shortNames).toEqual(['sandboxclaim']);
    expect(names(POOL).shortNames).toEqual(['swp']);
    for (const n of Object.keys(crds)) expect(version(n).subresources.status).toEqual({});
    expect(version(POOL).subresources.scale).toEqual({
      specReplicasPath: '.spec.replicas',
      statusReplicasPath: '.status.replicas',
      labelSelectorPath: '.status.selector',
    });
    expect(version(SANDBOX).subresources.scale).toBeUndefined();
  });

  it('describe every field, so kubectl explain documents the whole API', () => {
    for (const name of Object.keys(crds)) {
      const undocumented = [...nodes(root(name))]
        .filter(([path]) => path !== '' && !path.endsWith('[]') && !path.endsWith('{}') && path !== '.metadata')
        .filter(([, s]) => !s.description?.trim())
        .map(([path]) => path);
      expect(undocumented, name).toEqual([]);
    }
  });

  it('are structural: a type (or int-or-string) everywhere, no $ref, no free-form pod spec', () => {
    for (const name of Object.keys(crds)) {
      for (const [path, s] of nodes(root(name))) {
        expect(s.type !== undefined || s['x-kubernetes-int-or-string'] === true, `${name}${path} has no type`).toBe(true);
        expect(s.$ref, `${name}${path}`).toBeUndefined();
        expect(s['x-kubernetes-preserve-unknown-fields'], `${name}${path}`).toBeUndefined();
      }
    }
    const containers = at(root(SANDBOX), 'spec.podTemplate.spec.containers');
    expect(containers['x-kubernetes-list-type']).toBe('map');
    expect(at(containers, '[].ports.[].containerPort').type).toBe('integer');
    expect(at(containers, '[].resources.limits').additionalProperties).toMatchObject({ 'x-kubernetes-int-or-string': true });
  });

  it('carry the defaults of the standard', () => {
    expect(at(root(SANDBOX), 'spec.shutdownPolicy').default).toBe('Retain');
    expect(at(root(SANDBOX), 'spec.operatingMode').default).toBe('Running');
    expect(at(root(TEMPLATE), 'spec.networkPolicyManagement').default).toBe('Managed');
    expect(at(root(TEMPLATE), 'spec.envVarsInjectionPolicy').default).toBe('Disallowed');
    expect(at(root(TEMPLATE), 'spec.volumeClaimTemplatesPolicy').default).toBe('Disallowed');
    expect(at(root(CLAIM), 'spec.lifecycle.shutdownPolicy').default).toBe('Retain');
    expect(at(root(POOL), 'spec.replicas')).toMatchObject({ default: 1, minimum: 0 });
    expect(at(root(POOL), 'spec.updateStrategy').default).toEqual({});
    expect(at(root(POOL), 'spec.updateStrategy.type').default).toBe('OnReplenish');
  });

  it('keep conditions as a list map keyed by type with observedGeneration', () => {
    for (const name of Object.keys(crds)) {
      const conditions = at(root(name), 'status.conditions');
      expect(conditions['x-kubernetes-list-type']).toBe('map');
      expect(conditions['x-kubernetes-list-map-keys']).toEqual(['type']);
      expect(Object.keys(conditions.items!.properties!)).toContain('observedGeneration');
    }
  });

  it('make a Sandbox\'s volumeClaimTemplates fully immutable with the standard\'s message (one rule on the spec: added, changed and removed)', () => {
    expect(at(root(SANDBOX), 'spec.volumeClaimTemplates')['x-kubernetes-validations']).toBeUndefined();
    expect(at(root(SANDBOX), 'spec')['x-kubernetes-validations']).toEqual([
      expect.objectContaining({ message: 'volumeClaimTemplates is immutable', fieldPath: '.volumeClaimTemplates', rule: expect.stringContaining('has(self.volumeClaimTemplates) == has(oldSelf.volumeClaimTemplates)') }),
    ]);
    // Templates and claims may change theirs.
    expect(at(root(TEMPLATE), 'spec.volumeClaimTemplates')['x-kubernetes-validations']).toBeUndefined();
    expect(at(root(TEMPLATE), 'spec')['x-kubernetes-validations']).toBeUndefined();
  });

  it('refuse nothing the standard stores: no enums in the embedded Kubernetes types, no syntax rules on names', () => {
    for (const name of Object.keys(crds)) {
      for (const [path, s] of nodes(root(name))) {
        const ours = /^\.spec\.(shutdownPolicy|operatingMode|networkPolicyManagement|envVarsInjectionPolicy|volumeClaimTemplatesPolicy|lifecycle\.shutdownPolicy|updateStrategy\.type)$|^\.status\.conditions\[\]\.status$/;
        if (s.enum) expect(path, `${name}${path}`).toMatch(ours);
      }
    }
    for (const [crd, path] of [[SANDBOX, 'spec.volumeClaimTemplates.[].metadata.name'], [CLAIM, 'spec.volumeClaimTemplates.[].metadata.name'], [CLAIM, 'spec.warmPoolRef.name'], [CLAIM, 'spec.env.[].name'], [POOL, 'spec.sandboxTemplateRef.name']] as const) {
      expect(at(root(crd), path), `${crd} ${path}`).toEqual({ type: 'string', description: expect.any(String) });
    }
  });

  it('show the printer columns of docs/api.md', () => {
    const columns = (n: string) => (version(n).additionalPrinterColumns ?? []).map((c) => `${c.name}${c.priority ? '(wide)' : ''}`);
    expect(columns(SANDBOX)).toEqual(['Ready', 'Reason', 'Age', 'Pod(wide)', 'Node(wide)']);
    expect(columns(CLAIM)).toEqual(['Ready', 'Sandbox', 'Reason', 'Age']);
    expect(columns(POOL)).toEqual(['Ready', 'Desired', 'Age']);
    expect(version(SANDBOX).additionalPrinterColumns![3]!.jsonPath).toBe('.metadata.annotations.agents\\.x-k8s\\.io/pod-name');
  });
});
