/**
 * The corpus of refused inputs. Each case lists the messages the refusal must carry, one per
 * problem (the refusal must carry exactly that many). `viaApi: false` marks cases the real
 * API server cannot deliver as written (updates of objects made by another user, the CRD's
 * own CEL rule answering first, a Scale) — those run through the handler only.
 */
import type { JsonRecord } from '../util/json.ts';
import { claim, container, podSpec, pool, sandbox, scale, template, type ReviewInput } from './fixtures.ts';

export interface BadInput {
  name: string;
  input: ReviewInput;
  expect: string[];
  viaApi: boolean;
  /** For scale reviews: the pool's spec.maxReplicas the lookup returns. */
  poolMaxReplicas?: number;
  /** Skip the mutating webhook (which runs first at the API server) to reach a validation rule it pre-empts. */
  validateOnly?: boolean;
}

const P = 'spec.podTemplate.spec';
const PRIVILEGED = 'privileged containers are not allowed; remove privileged or set it to false';
const HOST_PATH = 'Forbidden: "data": hostPath volumes are not allowed; use an emptyDir, a volumeClaimTemplate, a ConfigMap or a Secret instead';
const RESERVED = 'are reserved for the Agent Sandbox programs; remove this key';
const LIMIT = (r: string) => `Required value: container "main": the cluster's policy requires a ${r} limit on every container; set resources.limits.${r}`;
const RUNTIME_CLASSES = "the cluster's policy allows only these runtime classes: gvisor, kata";

const noLimits = (name = 'main', extra: JsonRecord = {}) => ({ name, image: 'registry.example/agent:1', ...extra });
const hostPathVolume = { name: 'data', hostPath: { path: '/var/lib' } };

/** Builds the corpus; times are relative to `nowMs`. */
export function badInputs(nowMs: number): BadInput[] {
  const past = (ms: number) => new Date(nowMs - ms).toISOString();
  const create = (resource: ReviewInput['resource'], object: JsonRecord): ReviewInput => ({ resource, operation: 'CREATE', object });
  const update = (resource: ReviewInput['resource'], oldObject: JsonRecord, object: JsonRecord, username?: string): ReviewInput => ({
    resource,
    operation: 'UPDATE',
    oldObject,
    object,
    ...(username ? { username } : {}),
  });
  const cases: BadInput[] = [];
  const add = (name: string, input: ReviewInput, expect: string[], viaApi = true, poolMaxReplicas?: number) =>
    cases.push({ name, input, expect, viaApi, ...(poolMaxReplicas !== undefined ? { poolMaxReplicas } : {}) });

  for (const [resource, make, what] of [
    ['sandboxes', sandbox, 'sandbox'],
    ['sandboxtemplates', template, 'template'],
  ] as const) {
    const n = (s: string) => `${what}-${s}`;
    add(`${what}: privileged container`, create(resource, make(n('priv'), podSpec({ containers: [container('main', { securityContext: { privileged: true } })] }))), [
      `${P}.containers[0].securityContext.privileged: Forbidden: container "main": ${PRIVILEGED}`,
    ]);
    add(`${what}: privileged init container`, create(resource, make(n('priv-init'), podSpec({ initContainers: [container('init', { securityContext: { privileged: true } })] }))), [
      `${P}.initContainers[0].securityContext.privileged: Forbidden: container "init": ${PRIVILEGED}`,
    ]);
    add(`${what}: privileged ephemeral container`, create(resource, make(n('priv-eph'), podSpec({ ephemeralContainers: [{ name: 'debug', image: 'busybox', securityContext: { privileged: true } }] }))), [
      `${P}.ephemeralContainers[0].securityContext.privileged: Forbidden: container "debug": ${PRIVILEGED}`,
    ]);
    add(`${what}: privileged second container`, create(resource, make(n('priv-2nd'), podSpec({ containers: [container('a'), container('b', { securityContext: { privileged: true } })] }))), [
      `${P}.containers[1].securityContext.privileged: Forbidden: container "b": ${PRIVILEGED}`,
    ]);
    add(`${what}: hostNetwork`, create(resource, make(n('hostnet'), podSpec({ hostNetwork: true }))), [
      `${P}.hostNetwork: Forbidden: sharing the host's network namespace is not allowed; remove hostNetwork or set it to false`,
    ]);
    add(`${what}: hostPID`, create(resource, make(n('hostpid'), podSpec({ hostPID: true }))), [
      `${P}.hostPID: Forbidden: sharing the host's process namespace is not allowed`,
    ]);
    add(`${what}: hostIPC`, create(resource, make(n('hostipc'), podSpec({ hostIPC: true }))), [
      `${P}.hostIPC: Forbidden: sharing the host's IPC namespace is not allowed`,
    ]);
    add(`${what}: all host namespaces at once`, create(resource, make(n('hostall'), podSpec({ hostNetwork: true, hostPID: true, hostIPC: true }))), [
      `${P}.hostNetwork: Forbidden`,
      `${P}.hostPID: Forbidden`,
      `${P}.hostIPC: Forbidden`,
    ]);
    add(`${what}: hostPath volume`, create(resource, make(n('hostpath'), podSpec({ volumes: [hostPathVolume] }))), [`${P}.volumes[0].hostPath: ${HOST_PATH}`]);
    add(`${what}: hostPath as second volume`, create(resource, make(n('hostpath-2nd'), podSpec({ volumes: [{ name: 'scratch', emptyDir: {} }, hostPathVolume] }))), [
      `${P}.volumes[1].hostPath: ${HOST_PATH}`,
    ]);
    add(`${what}: hostPort`, create(resource, make(n('hostport'), podSpec({ containers: [container('main', { ports: [{ containerPort: 8888, hostPort: 8888 }] })] }))), [
      `${P}.containers[0].ports[0].hostPort: Forbidden: "8888": container "main": ports on the host's network are not allowed`,
    ]);
    add(`${what}: runtime class outside the allow-list`, create(resource, make(n('runc'), podSpec({ runtimeClassName: 'runc' }))), [
      `${P}.runtimeClassName: Forbidden: "runc": ${RUNTIME_CLASSES}`,
    ]);
    add(`${what}: empty runtime class`, create(resource, make(n('rc-empty'), podSpec({ runtimeClassName: '' }))), [
      `${P}.runtimeClassName: Required value: the cluster's policy requires a runtime class; set runtimeClassName to one of: gvisor, kata`,
    ]);
    // The mutating webhook fills in the default runtime class, so only a direct review can lack one.
    add(`${what}: no runtime class (validation alone)`, create(resource, make(n('rc-none'), podSpec())), [
      `${P}.runtimeClassName: Required value`,
    ], false);
    cases[cases.length - 1]!.validateOnly = true;
    add(`${what}: container without limits`, create(resource, make(n('nolimits'), podSpec({ containers: [noLimits()] }))), [
      `${P}.containers[0].resources.limits.cpu: ${LIMIT('cpu')}`,
      `${P}.containers[0].resources.limits.memory: ${LIMIT('memory')}`,
    ]);
    add(`${what}: container with a cpu limit only`, create(resource, make(n('cpuonly'), podSpec({ containers: [noLimits('main', { resources: { limits: { cpu: '1' } } })] }))), [
      `${P}.containers[0].resources.limits.memory: ${LIMIT('memory')}`,
    ]);
    add(`${what}: init container without limits`, create(resource, make(n('init-nolimits'), podSpec({ initContainers: [noLimits('setup')] }))), [
      `${P}.initContainers[0].resources.limits.cpu: Required value: container "setup"`,
      `${P}.initContainers[0].resources.limits.memory: Required value: container "setup"`,
    ]);
    add(`${what}: container hostProcess`, create(resource, make(n('hostproc'), podSpec({ containers: [container('main', { securityContext: { windowsOptions: { hostProcess: true } } })] }))), [
      `${P}.containers[0].securityContext.windowsOptions.hostProcess: Forbidden: container "main": Windows host-process containers are not allowed`,
    ]);
    add(`${what}: reserved label`, create(resource, make(n('reserved-label'), podSpec(), { labels: { 'agents.x-k8s.io/claim-uid': 'forged' } })), [
      `metadata.labels[agents.x-k8s.io/claim-uid]: Forbidden: "agents.x-k8s.io/claim-uid": keys under agents.x-k8s.io/ and extensions.agents.x-k8s.io/ ${RESERVED}`,
    ]);
    add(`${what}: reserved extensions annotation`, create(resource, make(n('reserved-ann'), podSpec(), { annotations: { 'extensions.agents.x-k8s.io/anything': 'x' } })), [
      `metadata.annotations[extensions.agents.x-k8s.io/anything]: Forbidden`,
    ]);
    add(`${what}: reserved key in the pod template`, create(resource, make(n('reserved-pod'), podSpec(), {}, { labels: { 'agents.x-k8s.io/sandbox-name-hash': 'deadbeef' } })), [
      `spec.podTemplate.metadata.labels[agents.x-k8s.io/sandbox-name-hash]: Forbidden: "agents.x-k8s.io/sandbox-name-hash": keys under`,
    ]);
    add(`${what}: several problems at once`, create(resource, make(n('many'), podSpec({ hostNetwork: true, volumes: [hostPathVolume], containers: [noLimits('main', { resources: { limits: { memory: '1Gi' } }, securityContext: { privileged: true } })] }), { labels: { 'agents.x-k8s.io/launch-type': 'warm' } })), [
      'metadata.labels[agents.x-k8s.io/launch-type]: Forbidden',
      `${P}.hostNetwork: Forbidden`,
      `${P}.volumes[0].hostPath: Forbidden`,
      `${P}.containers[0].securityContext.privileged: Forbidden`,
      `${P}.containers[0].resources.limits.cpu: Required value`,
    ]);
    add(`${what}: update adding privileged`, update(resource, make(n('upd'), podSpec()), make(n('upd'), podSpec({ containers: [container('main', { securityContext: { privileged: true } })] }))), [
      `${P}.containers[0].securityContext.privileged: Forbidden`,
    ], false);
    add(`${what}: update changing a reserved label`, update(resource, make(n('upd-label'), podSpec(), { labels: { 'agents.x-k8s.io/launch-type': 'warm' } }), make(n('upd-label'), podSpec(), { labels: { 'agents.x-k8s.io/launch-type': 'cold' } })), [
      'metadata.labels[agents.x-k8s.io/launch-type]: Forbidden: "agents.x-k8s.io/launch-type": reserved key: only the Agent Sandbox programs may change it; keep its value "warm"',
    ], false);
    add(`${what}: update removing a reserved annotation`, update(resource, make(n('upd-ann'), podSpec(), { annotations: { 'agents.x-k8s.io/pod-name': 'p' } }), make(n('upd-ann'), podSpec())), [
      'metadata.annotations[agents.x-k8s.io/pod-name]: Forbidden: "agents.x-k8s.io/pod-name": reserved key: only the Agent Sandbox programs may remove it',
    ], false);
  }

  const AP = 'spec.additionalPodMetadata';
  add('claim: shutdownTime an hour ago', create('sandboxclaims', claim('past-hour', { lifecycle: { shutdownTime: past(3_600_000) } })), [
    `spec.lifecycle.shutdownTime: Invalid value: "${past(3_600_000)}": is in the past (now `,
  ]);
  add('claim: shutdownTime a minute ago (beyond the tolerance)', create('sandboxclaims', claim('past-minute', { lifecycle: { shutdownTime: past(60_000) } })), [
    `spec.lifecycle.shutdownTime: Invalid value: "${past(60_000)}": is in the past (now `,
  ]);
  add('claim: label outside the allowed domains', create('sandboxclaims', claim('label-domain', { additionalPodMetadata: { labels: { 'example.com/team': 'a' } } })), [
    `${AP}.labels[example.com/team]: Forbidden: "example.com/team": label keys must use an allowed domain (sandbox.users.io or a subdomain)`,
  ]);
  add('claim: label without a domain', create('sandboxclaims', claim('label-nodomain', { additionalPodMetadata: { labels: { team: 'a' } } })), [
    `${AP}.labels[team]: Forbidden: "team": label keys must use an allowed domain`,
  ]);
  add('claim: the router label', create('sandboxclaims', claim('router', { additionalPodMetadata: { labels: { app: 'sandbox-router' } } })), [
    `${AP}.labels[app]: Forbidden: "sandbox-router": the label app=sandbox-router marks the sandbox router's pods`,
  ]);
  add('claim: kubernetes.io annotation', create('sandboxclaims', claim('ann-k8sio', { additionalPodMetadata: { annotations: { 'kubernetes.io/egress-bandwidth': '1M' } } })), [
    `${AP}.annotations[kubernetes.io/egress-bandwidth]: Forbidden: "kubernetes.io/egress-bandwidth": annotation keys under kubernetes.io, k8s.io, agents.x-k8s.io (or a subdomain) are reserved`,
  ]);
  add('claim: k8s.io subdomain annotation', create('sandboxclaims', claim('ann-sub', { additionalPodMetadata: { annotations: { 'node.k8s.io/x': 'y' } } })), [
    `${AP}.annotations[node.k8s.io/x]: Forbidden`,
  ]);
  add('claim: agents.x-k8s.io annotation', create('sandboxclaims', claim('ann-agents', { additionalPodMetadata: { annotations: { 'agents.x-k8s.io/pod-name': 'x' } } })), [
    `${AP}.annotations[agents.x-k8s.io/pod-name]: Forbidden`,
  ]);
  add('claim: invalid label value', create('sandboxclaims', claim('label-value', { additionalPodMetadata: { labels: { 'sandbox.users.io/team': 'not ok!' } } })), [
    `${AP}.labels[sandbox.users.io/team]: Invalid value: "not ok!": must be empty or consist of alphanumeric characters`,
  ]);
  add('claim: invalid label key', create('sandboxclaims', claim('label-key', { additionalPodMetadata: { labels: { 'sandbox.users.io/-bad-': 'x' } } })), [
    `${AP}.labels[sandbox.users.io/-bad-]: Invalid value: "sandbox.users.io/-bad-": name part must consist of alphanumeric characters`,
  ]);
  add('claim: reserved label on the claim', create('sandboxclaims', claim('reserved-uid', {}, { labels: { 'agents.x-k8s.io/claim-uid': 'x' } })), [
    'metadata.labels[agents.x-k8s.io/claim-uid]: Forbidden',
  ]);
  add('claim: created-by with an unknown value', create('sandboxclaims', claim('created-by', {}, { labels: { 'agents.x-k8s.io/created-by': 'hacker' } })), [
    'metadata.labels[agents.x-k8s.io/created-by]: Invalid value: "hacker": must be one of: python-client, go-client, typescript-client, controller, unknown',
  ]);
  add('claim: reserved annotation on the claim', create('sandboxclaims', claim('reserved-name', {}, { annotations: { 'agents.x-k8s.io/sandbox-name': 'someone-elses' } })), [
    'metadata.annotations[agents.x-k8s.io/sandbox-name]: Forbidden',
  ]);
  add('claim: past shutdownTime and a bad label together', create('sandboxclaims', claim('two', { lifecycle: { shutdownTime: past(600_000) }, additionalPodMetadata: { labels: { team: 'a' } } })), [
    `${AP}.labels[team]: Forbidden`,
    'spec.lifecycle.shutdownTime: Invalid value',
  ]);
  add('claim: warmPoolRef changed', update('sandboxclaims', claim('moved'), { ...claim('moved'), spec: { warmPoolRef: { name: 'other' } } }), [
    'spec.warmPoolRef.name: Invalid value: "other": warmPoolRef is immutable (it was "pool"); create a new claim to use another pool',
  ], false);
  add('claim: webhook stamp changed on update', update('sandboxclaims', claim('stamp', {}, { annotations: { 'agents.x-k8s.io/webhook-first-observed-at': '2025-01-01T00:00:00.000000001Z' } }), claim('stamp', {}, { annotations: { 'agents.x-k8s.io/webhook-first-observed-at': '2020-01-01T00:00:00Z' } })), [
    'metadata.annotations[agents.x-k8s.io/webhook-first-observed-at]: Forbidden: "agents.x-k8s.io/webhook-first-observed-at": reserved key: only the Agent Sandbox programs may change it',
  ], false);
  add('claim: webhook stamp removed on update', update('sandboxclaims', claim('stamp-rm', {}, { annotations: { 'agents.x-k8s.io/webhook-first-observed-at': '2025-01-01T00:00:00.000000001Z' } }), claim('stamp-rm')), [
    'metadata.annotations[agents.x-k8s.io/webhook-first-observed-at]: Forbidden: "agents.x-k8s.io/webhook-first-observed-at": reserved key: only the Agent Sandbox programs may remove it',
  ], false);

  add('pool: replicas above the cluster ceiling', create('sandboxwarmpools', pool('over', { replicas: 11 })), [
    "spec.replicas: Invalid value: \"11\": must be no more than 10, the cluster's ceiling on warm pool replicas; lower replicas or ask an administrator to raise the ceiling",
  ]);
  add('pool: a million replicas', create('sandboxwarmpools', pool('million', { replicas: 1_000_000 })), ['spec.replicas: Invalid value: "1000000": must be no more than 10']);
  add('pool: maxReplicas above the cluster ceiling', create('sandboxwarmpools', pool('max-over', { replicas: 1, maxReplicas: 50 })), [
    "spec.maxReplicas: Invalid value: \"50\": must be no more than 10, the cluster's ceiling on warm pool replicas",
  ]);
  add('pool: replicas above its own maxReplicas', create('sandboxwarmpools', pool('own-max', { replicas: 5, maxReplicas: 3 })), [
    "spec.replicas: Invalid value: \"5\": must be no more than 3, the pool's spec.maxReplicas; lower replicas or raise spec.maxReplicas",
  ], false); // the CRD's CEL rule (replicas <= maxReplicas) answers first at the API server
  add('pool: reserved label', create('sandboxwarmpools', pool('reserved', {}, { labels: { 'agents.x-k8s.io/warm-pool-sandbox': 'x' } })), [
    'metadata.labels[agents.x-k8s.io/warm-pool-sandbox]: Forbidden',
  ]);
  add('pool: replicas raised above the ceiling', update('sandboxwarmpools', pool('raise', { replicas: 2 }), pool('raise', { replicas: 11 })), [
    'spec.replicas: Invalid value: "11": must be no more than 10',
  ], false);
  add('pool: maxReplicas lowered below replicas', update('sandboxwarmpools', pool('lower', { replicas: 5 }), pool('lower', { replicas: 5, maxReplicas: 2 })), [
    "spec.replicas: Invalid value: \"5\": must be no more than 2, the pool's spec.maxReplicas",
  ], false);
  add('pool: reserved label added by the user, even next to a trusted one', update('sandboxwarmpools', pool('trusted-old', {}, { labels: { 'agents.x-k8s.io/x': 'a' } }), pool('trusted-old', {}, { labels: { 'agents.x-k8s.io/x': 'a', 'agents.x-k8s.io/y': 'b' } })), [
    'metadata.labels[agents.x-k8s.io/y]: Forbidden',
  ], false);
  add('scale: above the cluster ceiling', update('sandboxwarmpools/scale', scale('scaled', 2), scale('scaled', 11)), [
    "spec.replicas: Invalid value: \"11\": must be no more than 10, the cluster's ceiling on warm pool replicas (scale subresource)",
  ], false);
  add('scale: above the pool\'s maxReplicas', update('sandboxwarmpools/scale', scale('scaled-own', 2), scale('scaled-own', 4)), [
    "spec.replicas: Invalid value: \"4\": must be no more than 3, the pool's spec.maxReplicas (scale subresource)",
  ], false, 3);
  return cases;
}
