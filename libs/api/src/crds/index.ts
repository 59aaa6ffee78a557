/**
 * `@agent-sandbox/api/crds`: the CRDs of the four kinds (objects, checked-in YAML, installer).
 * Kept apart from the main entry point because it loads the embedded Kubernetes schemas.
 */
export { CRD_CATEGORY, crdName, customResourceDefinition, customResourceDefinitions, KIND_DEFINITIONS, type CustomResourceDefinition } from './definitions.ts';
export { CRD_DIR, renderCrds, type RenderedCrd } from './render.ts';
export { CRD_FIELD_MANAGER, installCrds, waitForCrdsEstablished, type InstallOptions } from './install.ts';
export { EMBEDDED_POD_SPEC_SCHEMA, EMBEDDED_SCHEMAS_KUBERNETES_VERSION } from '../schema/kubernetes.ts';
export { typeNameOf, type JsonSchema } from '../schema/builder.ts';
export type { KindDefinition, PrinterColumn } from '../kinds/kind.ts';
