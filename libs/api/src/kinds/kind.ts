import type { ResourceInfo } from '../resources.ts';
import { object, string, type Infer, type JsonSchema, type Schema } from '../schema/builder.ts';
import type { ObjectMeta } from './meta.ts';

/** An additionalPrinterColumns entry of a CRD version. */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
  /** 1: shown only with `-o wide`. */
  priority?: number;
}

/** Everything the CRD of a kind is made from. */
export interface KindDefinition {
  resource: ResourceInfo;
  description: string;
  schema: JsonSchema;
  printerColumns: readonly PrinterColumn[];
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string };
}

/** The schema of a whole object: apiVersion, kind, metadata, spec (required), status. */
export function rootSchema<Spec, Status>(description: string, spec: Schema<Spec>, status: Schema<Status>): JsonSchema {
  return object(description, {
    apiVersion: string('Versioned schema of this representation of an object; servers convert recognized schemas to the latest internal value.'),
    kind: string('The REST resource this object represents, in CamelCase.'),
    // A CRD may say nothing about metadata but its type.
    metadata: { json: { type: 'object' } },
    spec,
    status,
  }, { required: ['spec'] }).json;
}

/** The TypeScript type of a whole object of a kind. */
export type KindObject<ApiVersion extends string, Kind extends string, Spec extends Schema<unknown>, Status extends Schema<unknown>> = {
  apiVersion: ApiVersion;
  kind: Kind;
  metadata: ObjectMeta;
  spec: Infer<Spec>;
  status?: Infer<Status>;
};

/** Age column, as every kind ends its columns with it. */
export const AGE_COLUMN: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since the object was created.',
};

export const readyColumns = (what: string): PrinterColumn[] => [
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: `Whether the ${what} is Ready.` },
  { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', description: `Why the ${what} is or is not Ready.` },
];
