export { createTestNamespace, localControlPlane, testKubeConfig, type TestNamespace } from './kube.ts';
