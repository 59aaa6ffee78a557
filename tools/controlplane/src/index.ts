export { binariesBuilt, ensureBinaries, type Binaries } from './build.ts';
export { COMPONENTS, ControlPlane, PROFILES, type ClusterOptions, type Component, type ComponentStatus, type Profile } from './cluster.ts';
export { httpGet, waitFor } from './http-probe.ts';
export { cacheRoot } from './paths.ts';
export { freePort } from './process.ts';
export { readVersions, type Versions } from './versions.ts';
export { GiveUp } from './http-probe.ts';
export { loopbackWebhookConfigurations, registerLoopbackWebhooks, type LoopbackWebhookOptions, type LoopbackWebhooks } from './loopback-webhooks.ts';
export { readProgramRbac, serviceAccountKubeConfig, type ServiceAccountOptions } from './service-account.ts';
