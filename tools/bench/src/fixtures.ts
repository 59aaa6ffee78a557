/**
 * Objects shaped like what the API server returns for a warm-pool Pod and a Sandbox: real
 * field sets, managedFields from the several writers such objects have, realistic sizes.
 * Each call returns JSON text, as the informer receives it.
 */

const uid = (i: number, salt: number) => {
  const hex = ((i * 2654435761 + salt * 40503) >>> 0).toString(16).padStart(8, '0');
  return `${hex}-1a2b-4c3d-8e9f-${hex}${hex.slice(0, 4)}`;
};

const time = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s % 86_400)).toISOString().replace(/\.\d{3}Z$/, 'Z');

function managedField(manager: string, operation: string, subresource: string | undefined, fields: unknown, s: number) {
  return { manager, operation, apiVersion: 'v1', time: time(s), fieldsType: 'FieldsV1', fieldsV1: fields, ...(subresource ? { subresource } : {}) };
}

const containerFields = {
  'f:args': {},
  'f:command': {},
  'f:env': { '.': {}, 'k:{"name":"SANDBOX_NAME"}': { '.': {}, 'f:name': {}, 'f:value': {} }, 'k:{"name":"SANDBOX_PORT"}': { '.': {}, 'f:name': {}, 'f:value': {} } },
  'f:image': {},
  'f:imagePullPolicy': {},
  'f:name': {},
  'f:ports': { '.': {}, 'k:{"containerPort":8888,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:name': {}, 'f:protocol': {} } },
  'f:readinessProbe': { '.': {}, 'f:httpGet': { '.': {}, 'f:path': {}, 'f:port': {} }, 'f:periodSeconds': {} },
  'f:resources': { '.': {}, 'f:limits': { '.': {}, 'f:cpu': {}, 'f:memory': {} }, 'f:requests': { '.': {}, 'f:cpu': {}, 'f:memory': {} } },
  'f:securityContext': { '.': {}, 'f:allowPrivilegeEscalation': {}, 'f:runAsNonRoot': {} },
  'f:volumeMounts': { '.': {}, 'k:{"mountPath":"/workspace"}': { '.': {}, 'f:mountPath': {}, 'f:name': {} } },
};

function container(i: number) {
  return {
    name: 'sandbox',
    image: 'registry.example.com/agents/python-runtime:3.12-20260101',
    command: ['/usr/local/bin/sandbox-server'],
    args: ['--port=8888', '--workspace=/workspace'],
    env: [
      { name: 'SANDBOX_NAME', value: `sandbox-${i}` },
      { name: 'SANDBOX_PORT', value: '8888' },
    ],
    ports: [{ name: 'http', containerPort: 8888, protocol: 'TCP' }],
    readinessProbe: { httpGet: { path: '/healthz', port: 8888, scheme: 'HTTP' }, periodSeconds: 2, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
    resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '250m', memory: '256Mi' } },
    securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true },
    volumeMounts: [
      { name: 'workspace', mountPath: '/workspace' },
      { name: 'kube-api-access-x7k2p', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
    ],
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: 'IfNotPresent',
  };
}

export function podJson(i: number): string {
  const ns = `tenant-${i % 50}`;
  const owner = uid(i, 2);
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `pool-python-${i.toString(36)}-x8k2m`,
      generateName: `pool-python-${i.toString(36)}-`,
      namespace: ns,
      uid: uid(i, 1),
      resourceVersion: String(100_000 + i),
      creationTimestamp: time(i),
      labels: {
        'agents.x-k8s.io/sandbox-name-hash': (i * 7919).toString(16),
        'agents.x-k8s.io/pool': 'python',
        'agents.x-k8s.io/template-hash': '6f9c8d7b5',
        app: 'sandbox',
      },
      annotations: { 'opentelemetry.io/trace-context': '{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}' },
      ownerReferences: [{ apiVersion: 'agents.x-k8s.io/v1beta1', kind: 'Sandbox', name: `sandbox-${i}`, uid: owner, controller: true, blockOwnerDeletion: true }],
      managedFields: [
        managedField('sandbox-controller', 'Apply', undefined, { 'f:metadata': { 'f:labels': { 'f:agents.x-k8s.io/pool': {}, 'f:app': {} }, 'f:ownerReferences': {} }, 'f:spec': { 'f:containers': { 'k:{"name":"sandbox"}': containerFields } } }, i),
        managedField('kube-scheduler', 'Update', 'status', { 'f:status': { 'f:conditions': { '.': {}, 'k:{"type":"PodScheduled"}': { '.': {}, 'f:lastProbeTime': {}, 'f:lastTransitionTime': {}, 'f:status': {}, 'f:type': {} } } } }, i + 1),
        managedField('kwok', 'Update', 'status', { 'f:status': { 'f:conditions': { 'k:{"type":"Ready"}': { '.': {}, 'f:lastTransitionTime': {}, 'f:status': {}, 'f:type': {} } }, 'f:containerStatuses': {}, 'f:hostIP': {}, 'f:phase': {}, 'f:podIP': {}, 'f:podIPs': { '.': {}, 'k:{"ip":"10.0.0.1"}': { '.': {}, 'f:ip': {} } }, 'f:startTime': {} } }, i + 2),
      ],
    },
    spec: {
      containers: [container(i)],
      volumes: [
        { name: 'workspace', emptyDir: { sizeLimit: '1Gi' } },
        { name: 'kube-api-access-x7k2p', projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }], defaultMode: 420 } },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      serviceAccount: 'default',
      nodeName: `kwok-node-${i % 20}`,
      securityContext: {},
      schedulerName: 'default-scheduler',
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    status: {
      phase: 'Running',
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: time(i + 3) })),
      hostIP: `10.1.${i % 20}.1`,
      hostIPs: [{ ip: `10.1.${i % 20}.1` }],
      podIP: `10.244.${(i >> 8) & 255}.${i & 255}`,
      podIPs: [{ ip: `10.244.${(i >> 8) & 255}.${i & 255}` }],
      startTime: time(i + 1),
      containerStatuses: [
        { name: 'sandbox', state: { running: { startedAt: time(i + 2) } }, lastState: {}, ready: true, restartCount: 0, image: 'registry.example.com/agents/python-runtime:3.12-20260101', imageID: '', started: true },
      ],
      qosClass: 'Burstable',
    },
  };
  return JSON.stringify(pod);
}

export function sandboxJson(i: number): string {
  const ns = `tenant-${i % 50}`;
  const sandbox = {
    apiVersion: 'agents.x-k8s.io/v1beta1',
    kind: 'Sandbox',
    metadata: {
      name: `sandbox-${i}`,
      namespace: ns,
      uid: uid(i, 2),
      resourceVersion: String(200_000 + i),
      generation: 2,
      creationTimestamp: time(i),
      labels: { 'agents.x-k8s.io/pool': 'python', 'agents.x-k8s.io/claim-uid': uid(i, 3) },
      annotations: {
        'opentelemetry.io/trace-context': '{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}',
        'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ apiVersion: 'agents.x-k8s.io/v1beta1', kind: 'Sandbox', metadata: { name: `sandbox-${i}`, namespace: ns }, spec: { podTemplate: { spec: { containers: [container(i)] } } } }),
      },
      ownerReferences: [{ apiVersion: 'agents.x-k8s.io/v1beta1', kind: 'SandboxWarmPool', name: 'python', uid: uid(i % 50, 4), controller: true, blockOwnerDeletion: true }],
      finalizers: ['agents.x-k8s.io/sandbox'],
      managedFields: [
        managedField('kubectl-client-side-apply', 'Update', undefined, { 'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} } }, 'f:spec': { '.': {}, 'f:podTemplate': { '.': {}, 'f:spec': { '.': {}, 'f:containers': {} } } } }, i),
        managedField('warmpool-orchestrator', 'Apply', undefined, { 'f:metadata': { 'f:labels': { 'f:agents.x-k8s.io/pool': {} }, 'f:ownerReferences': { 'k:{"uid":"x"}': {} } }, 'f:spec': { 'f:podTemplate': { 'f:spec': { 'f:containers': { 'k:{"name":"sandbox"}': containerFields } } }, 'f:replicas': {} } }, i + 1),
        managedField('sandbox-controller', 'Apply', 'status', { 'f:status': { 'f:conditions': { 'k:{"type":"Ready"}': { '.': {}, 'f:lastTransitionTime': {}, 'f:message': {}, 'f:observedGeneration': {}, 'f:reason': {}, 'f:status': {}, 'f:type': {} } }, 'f:podName': {}, 'f:serviceFQDN': {}, 'f:replicas': {} } }, i + 2),
      ],
    },
    spec: {
      replicas: 1,
      podTemplate: { metadata: { labels: { app: 'sandbox' } }, spec: { containers: [container(i)], restartPolicy: 'Always' } },
      volumeClaimTemplates: [{ metadata: { name: 'workspace' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      lifecycle: { shutdownPolicy: 'Delete', shutdownTime: time(i + 3600) },
    },
    status: {
      replicas: 1,
      podName: `pool-python-${i.toString(36)}-x8k2m`,
      serviceFQDN: `sandbox-${i}.${ns}.svc.cluster.local`,
      selector: `agents.x-k8s.io/sandbox-name-hash=${(i * 7919).toString(16)}`,
      conditions: [
        { type: 'Ready', status: 'True', reason: 'DependenciesReady', message: 'Pod is Ready; Service Exists', observedGeneration: 2, lastTransitionTime: time(i + 5) },
        { type: 'Finished', status: 'False', reason: 'Running', message: '', observedGeneration: 2, lastTransitionTime: time(i + 5) },
      ],
    },
  };
  return JSON.stringify(sandbox);
}
