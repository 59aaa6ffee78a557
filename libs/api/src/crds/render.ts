/** The checked-in form of the CRDs: one YAML file each under deploy/crds/. */
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { crdName, customResourceDefinition, KIND_DEFINITIONS } from './definitions.ts';

export const CRD_DIR = fileURLToPath(new URL('../../../../deploy/crds/', import.meta.url));

const HEADER = '# Generated from libs/api by `npm run generate`; do not edit.\n';

export interface RenderedCrd {
  fileName: string;
  content: string;
}

export function renderCrds(): RenderedCrd[] {
  return KIND_DEFINITIONS.map((def) => ({
    fileName: `${crdName(def)}.yaml`,
    content: HEADER + stringify(customResourceDefinition(def), { lineWidth: 0, aliasDuplicateObjects: false }),
  }));
}
