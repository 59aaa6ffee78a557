export { consistently } from './consistently.ts';
export { controllerManagerServing, createTestNamespace, localControlPlane, testKubeConfig, type TestNamespace } from './kube.ts';
export { waitFor } from '../http-probe.ts';
