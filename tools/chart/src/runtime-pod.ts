/**
 * The pod spec of a sandbox running our runtime on the local cluster's real node, for the
 * data-plane node tests and the data-plane benchmark (one spec, so the benchmark measures what
 * the tests prove). The sandbox-runtime chart renders the same shape for users' clusters.
 */
import { REAL_NODE_PLACEMENT } from '@agent-sandbox/controlplane';

/** The pod spec of a sandbox running our runtime on the real node, hardened as a template should be. */
export function realNodeRuntimePodSpec(image: string): Record<string, unknown> {
  return {
    ...REAL_NODE_PLACEMENT,
    terminationGracePeriodSeconds: 2,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      {
        name: 'runtime',
        image,
        // Loaded into the node, never pulled.
        imagePullPolicy: 'Never',
        ports: [{ name: 'http', containerPort: 8888 }],
        // A probe that may take 5 s: on a loaded shared machine a 1 s one flaps a Ready sandbox to
        // not Ready in the middle of a test (the router then answers 503).
        readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1, timeoutSeconds: 5 },
        // Room for a fork bomb at the node's podPidsLimit (~150 KiB of its own per bash) beside the runtime.
        resources: { requests: { cpu: '10m', memory: '48Mi' }, limits: { memory: '512Mi' } },
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        // The root is read-only: the base directory and /tmp are the sandbox's writable places.
        volumeMounts: [
          { name: 'workspace', mountPath: '/app' },
          { name: 'tmp', mountPath: '/tmp' },
        ],
      },
    ],
    volumes: [
      { name: 'workspace', emptyDir: {} },
      { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
    ],
  };
}
