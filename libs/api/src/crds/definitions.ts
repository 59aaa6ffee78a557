/** The four CRDs, built from the kind definitions (the single source of truth). */
import type { KindDefinition } from '../kinds/kind.ts';
import { sandboxClaimDefinition } from '../kinds/sandbox-claim.ts';
import { sandboxTemplateDefinition } from '../kinds/sandbox-template.ts';
import { sandboxWarmPoolDefinition } from '../kinds/sandbox-warm-pool.ts';
import { sandboxDefinition } from '../kinds/sandbox.ts';

export const KIND_DEFINITIONS: readonly KindDefinition[] = [
  sandboxDefinition,
  sandboxTemplateDefinition,
  sandboxClaimDefinition,
  sandboxWarmPoolDefinition,
];

/** `kubectl get agent-sandbox` lists objects of all four kinds. */
export const CRD_CATEGORY = 'agent-sandbox';

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
}

export function crdName(def: KindDefinition): string {
  return `${def.resource.plural}.${def.resource.group}`;
}

export function customResourceDefinition(def: KindDefinition): CustomResourceDefinition {
  const r = def.resource;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: crdName(def), labels: { 'app.kubernetes.io/part-of': 'agent-sandbox' } },
    spec: {
      group: r.group,
      names: {
        kind: r.kind,
        listKind: r.listKind,
        plural: r.plural,
        singular: r.singular,
        shortNames: [...r.shortNames],
        categories: [CRD_CATEGORY],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: r.version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: def.schema },
          subresources: { status: {}, ...(def.scale ? { scale: def.scale } : {}) },
          ...(def.printerColumns.length > 0 ? { additionalPrinterColumns: def.printerColumns } : {}),
        },
      ],
    },
  };
}

export function customResourceDefinitions(): CustomResourceDefinition[] {
  return KIND_DEFINITIONS.map(customResourceDefinition);
}
