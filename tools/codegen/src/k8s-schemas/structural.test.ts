import { describe, expect, it } from 'vitest';
import { QUANTITY_PATTERN, SchemaConversionError, structuralSchema, type OpenApiSchema } from './structural.ts';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

describe('structuralSchema', () => {
  it('inlines references, preferring the referring field\'s description', () => {
    const defs: Record<string, OpenApiSchema> = {
      Outer: { type: 'object', properties: { inner: { description: 'field words', allOf: [ref('Inner')], default: {} }, plain: ref('Inner') } },
      Inner: { description: 'type words', type: 'object', properties: { n: { type: 'integer', format: 'int32', default: 0 } } },
    };
    expect(structuralSchema('Outer', defs)).toEqual({
      type: 'object',
      properties: {
        inner: { description: 'field words', type: 'object', properties: { n: { type: 'integer', format: 'int32' } } },
        plain: { description: 'type words', type: 'object', properties: { n: { type: 'integer', format: 'int32' } } },
      },
    });
  });

  it('spells IntOrString, Quantity and Time the way CRDs do', () => {
    const defs: Record<string, OpenApiSchema> = {
      T: {
        type: 'object',
        properties: {
          port: { description: 'p', allOf: [ref('io.k8s.apimachinery.pkg.util.intstr.IntOrString')] },
          limits: { type: 'object', additionalProperties: ref('io.k8s.apimachinery.pkg.api.resource.Quantity') },
          at: { allOf: [ref('io.k8s.apimachinery.pkg.apis.meta.v1.Time')] },
        },
      },
      'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] },
      'io.k8s.apimachinery.pkg.api.resource.Quantity': { description: 'q', oneOf: [{ type: 'string' }, { type: 'number' }] },
      'io.k8s.apimachinery.pkg.apis.meta.v1.Time': { type: 'string', format: 'date-time', description: 'time' },
    };
    const out = structuralSchema('T', defs) as { properties: Record<string, OpenApiSchema> };
    expect(out.properties.port).toEqual({ description: 'p', anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true });
    expect(out.properties.limits!.additionalProperties).toEqual({
      description: 'q',
      anyOf: [{ type: 'integer' }, { type: 'string' }],
      pattern: QUANTITY_PATTERN,
      'x-kubernetes-int-or-string': true,
    });
    expect(out.properties.at).toEqual({ description: 'time', type: 'string', format: 'date-time' });
  });

  it('matches quantities as Kubernetes parses them', () => {
    const quantity = new RegExp(QUANTITY_PATTERN);
    for (const ok of ['1', '500m', '1Gi', '1.5Gi', '0.5', '.5', '+1', '-2', '1e3', '1E-3', '2k', '10M', '3Ei', '1.']) expect(quantity.test(ok), ok).toBe(true);
    for (const bad of ['lots', '1 Gi', 'Gi', '1GiB', '1.2.3', '', '1e', '--1', '1ki']) expect(quantity.test(bad), bad).toBe(false);
  });

  it('keeps the defaults of list-map keys that are not required, and drops strategic-merge markers', () => {
    const defs: Record<string, OpenApiSchema> = {
      T: {
        type: 'object',
        properties: {
          ports: {
            type: 'array',
            items: ref('Port'),
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
            'x-kubernetes-patch-merge-key': 'containerPort',
            'x-kubernetes-patch-strategy': 'merge',
          },
        },
      },
      Port: {
        type: 'object',
        required: ['containerPort'],
        properties: { containerPort: { type: 'integer', default: 0 }, protocol: { type: 'string', default: 'TCP' }, name: { type: 'string', default: 'x' } },
      },
    };
    const ports = (structuralSchema('T', defs).properties as Record<string, OpenApiSchema>).ports!;
    expect(ports).toEqual({
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
      items: {
        type: 'object',
        required: ['containerPort'],
        properties: { containerPort: { type: 'integer' }, protocol: { type: 'string', default: 'TCP' }, name: { type: 'string' } },
      },
    });
  });

  it('fails on what it cannot express instead of losing a rule', () => {
    expect(() => structuralSchema('T', { T: { type: 'object', properties: { x: { type: 'string', 'x-new-thing': 1 } } } })).toThrow(SchemaConversionError);
    expect(() => structuralSchema('T', { T: { type: 'object', properties: { self: ref('T') } } })).toThrow(/recursive/);
    expect(() => structuralSchema('T', { T: { type: 'object', properties: { x: ref('Missing') } } })).toThrow(/no definition/);
    expect(() => structuralSchema('T', { T: { oneOf: [{ type: 'string' }] } })).toThrow(SchemaConversionError);
  });
});
