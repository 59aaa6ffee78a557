export { ensureHelm, helmBuilt, helmLocation, HELM_MODULE_DIR, type HelmBinary } from './helm-binary.ts';
export { UMBRELLA_DIR, REPO_ROOT } from './paths.ts';
