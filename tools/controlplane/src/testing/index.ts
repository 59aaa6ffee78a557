export { consistently } from '@agent-sandbox/runtime/testing';
export { controllerManagerServing, createTestNamespace, localControlPlane, testKubeConfig, type TestNamespace } from './kube.ts';
export { waitFor } from '../http-probe.ts';
export { kubectl, portForward, REAL_NODE_PLACEMENT, realNodePod, testImages, waitForPodDone, waitForPodReady } from './real-node.ts';
