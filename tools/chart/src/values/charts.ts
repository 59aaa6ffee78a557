/**
 * Every chart's values, in one place: the umbrella (agent-sandbox), its `crds` subchart, and one
 * subchart per program. The program-specific settings each map onto one of the program's own
 * flags (see each program's `--help`); the shared ones are rendered by the library chart.
 */
import {
  boolean,
  custom,
  duration,
  enumOf,
  group,
  integer,
  number,
  seconds,
  string,
  stringList,
  stringMap,
  type Value,
} from './builder.ts';
import { ref } from './kubernetes.ts';

export const PROGRAMS = ['sandbox-controller', 'claim-controller', 'warmpool-orchestrator', 'ttl-reaper', 'admission-webhook', 'sandbox-router'] as const;
export type Program = (typeof PROGRAMS)[number];

/** The controllers: built on the shared Manager (leader election, --watch-namespace). */
export const CONTROLLERS = ['sandbox-controller', 'claim-controller', 'warmpool-orchestrator', 'ttl-reaper'] as const satisfies readonly Program[];

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
/** The samplers OTEL_TRACES_SAMPLER takes (libs/telemetry reads them). */
export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/** Resource attribute keys and values go into OTEL_RESOURCE_ATTRIBUTES unencoded: no `,` `=` `%`. */
const RESOURCE_ATTRIBUTE_TEXT = '^[^,=%]+$';
/** A Kubernetes label domain: lower-case DNS labels joined by dots. */
const DOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

const kubernetesList = (description: string, type: Parameters<typeof ref>[0]) =>
  custom(description, { type: 'array', items: ref(type) }, []);

const intOrPercent = (description: string, def: number | string | null) =>
  custom(description, { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^[0-9]+%$' }, { type: 'null' }] }, def);

/** `global`: set once for every subchart (Helm hands it to each). */
export const globalValues = group('Values shared by every subchart.', {
  image: group('Where the images come from, unless a program says otherwise.', {
    registry: string(
      'Registry host (and port) of every image. `npm run images -- --push <registry>` publishes them there.',
      'localhost:5001',
    ),
    tag: string('Tag of every image; empty: the chart\'s appVersion (the version the chart was made with).', ''),
    pullPolicy: enumOf('Pull policy of every image.', PULL_POLICIES, 'IfNotPresent'),
  }),
  imagePullSecrets: kubernetesList('Secrets (`- name: …`) for pulling every image, before each program\'s own.', 'LocalObjectReference'),
  nodeSelector: stringMap('Node labels every program\'s Pods require, unless a program sets its own.', {}),
  tolerations: kubernetesList('Taints every program\'s Pods tolerate, unless a program sets its own.', 'Toleration'),
  priorityClassName: string('PriorityClass of every program\'s Pods, unless a program sets its own.', ''),
  otlp: group('Traces over OTLP (HTTP, JSON). Nothing is exported while `endpoint` is empty.', {
    endpoint: string(
      'OTLP base URL of a collector, e.g. `http://otel-collector.observability:4318` (`/v1/traces` is appended); sets OTEL_EXPORTER_OTLP_ENDPOINT.',
      '',
    ),
    sampler: enumOf('Sampler (OTEL_TRACES_SAMPLER). The parent-based ones follow the caller\'s decision carried in an object\'s trace context.', SAMPLERS, 'parentbased_always_on'),
    samplingRatio: number('Share of traces kept by the `traceidratio` samplers, 0 to 1 (OTEL_TRACES_SAMPLER_ARG).', 1, { minimum: 0, maximum: 1 }),
    resourceAttributes: stringMap(
      'Resource attributes of every span (OTEL_RESOURCE_ATTRIBUTES), e.g. `deployment.environment: prod`. The Pod\'s namespace, name and Deployment are always added.',
      {},
      { keyPattern: RESOURCE_ATTRIBUTE_TEXT, valuePattern: RESOURCE_ATTRIBUTE_TEXT },
    ),
  }),
});

const probe = (what: string, periodSeconds: number, failureThreshold: number) =>
  group(`The ${what} probe's timing.`, {
    initialDelaySeconds: integer('Seconds before the first probe.', 0, { minimum: 0 }),
    periodSeconds: integer('Seconds between probes.', periodSeconds, { minimum: 1 }),
    timeoutSeconds: integer('Seconds a probe may take.', 1, { minimum: 1 }),
    failureThreshold: integer('Failures in a row before acting.', failureThreshold, { minimum: 1 }),
  });

/**
 * What each program runs with by default, from tools/bench/footprint.ts and the cache's cost per
 * object (tools/bench/src/cache-memory.ts: ~3.7 KiB per trimmed Sandbox, ~3 KiB per Pod): every
 * program is ~65-70 MB resident when idle with empty caches. The request covers ~1,000 Sandboxes
 * in its caches; the limit ~10,000 (the sandbox-controller also caches each Sandbox's Pod and
 * Service), with room for the garbage collector. The images give V8's old space 70% of the
 * limit (--max-old-space-size-percentage), so a program near it collects harder rather than
 * being OOM-killed.
 */
const DEFAULT_RESOURCES: Record<Program, { requests: { cpu: string; memory: string }; limits: { memory: string } }> = {
  'sandbox-controller': { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '384Mi' } },
  'claim-controller': { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } },
  'warmpool-orchestrator': { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } },
  'ttl-reaper': { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } },
  // No caches: admission reads what it needs per review.
  'admission-webhook': { requests: { cpu: '50m', memory: '80Mi' }, limits: { memory: '160Mi' } },
  // Caches trimmed Sandboxes, their Pods and claims (routing fields only); idle ~66 MB.
  'sandbox-router': { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } },
};

/** The restricted Pod Security Standard, and a read-only root file system. */
const DEFAULT_POD_SECURITY_CONTEXT = {
  runAsNonRoot: true,
  runAsUser: 65532,
  runAsGroup: 65532,
  fsGroup: 65532,
  seccompProfile: { type: 'RuntimeDefault' },
};
const DEFAULT_CONTAINER_SECURITY_CONTEXT = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

interface ProgramDefinition {
  name: Program;
  /** Chart.yaml description. */
  description: string;
  component: 'controller' | 'webhook' | 'router';
  /** Values mapped onto the program's own flags (and, for the webhook, its serving and certificates). */
  settings: Record<string, Value>;
}

/** The values every program subchart has. */
function commonValues(p: ProgramDefinition): Record<string, Value> {
  const controller = p.component === 'controller';
  return {
    enabled: boolean(`Install the ${p.name}.`, true),
    replicas: integer(
      controller
        ? 'Pods. With more than one, leader election is always on: one Pod reconciles, the others stand by and take over within the lease duration.'
        : p.component === 'router'
          ? 'Pods; all of them route behind the Service (stateless: scale out freely).'
          : 'Pods; all of them serve reviews behind the Service.',
      1,
      { minimum: 0 },
    ),
    image: group('The program\'s image: `<registry>/<repository>:<tag>` or `…@<digest>`.', {
      registry: string('Registry; empty: `global.image.registry`.', ''),
      repository: string('Repository in the registry.', `agent-sandbox/${p.name}`),
      tag: string('Tag; empty: `global.image.tag`, else the chart\'s appVersion.', ''),
      digest: string('Digest (`sha256:…`); when set, the image is pulled by digest and the tag is ignored.', '', {
        pattern: '^(sha256:[a-f0-9]{64})?$',
      }),
      pullPolicy: enumOf('Pull policy; empty: `global.image.pullPolicy`.', ['', ...PULL_POLICIES], ''),
    }),
    imagePullSecrets: kubernetesList('Secrets for pulling this image, after `global.imagePullSecrets`.', 'LocalObjectReference'),
    logLevel: enumOf('Minimum level of the JSON log lines (`--log-level`).', LOG_LEVELS, 'info'),
    healthPort: integer('Port of `/healthz`, `/readyz` and `/metrics` (`--health-probe-bind-address=:<port>`).', 8081, {
      minimum: 1,
      maximum: 65535,
    }),
    shutdownTimeoutSeconds: seconds(
      'Seconds in-flight work may take after SIGTERM (`--shutdown-timeout`); the Pod\'s termination grace period is 10 s longer.',
      30,
    ),
    ...(controller
      ? {
          watchNamespace: string('Reconcile objects in this namespace only (`--watch-namespace`); empty: all namespaces.', ''),
          leaderElection: group('Leader election on a Lease in the release namespace (`--leader-elect` and its timings).', {
            enabled: boolean(
              'Elect a leader. Always on with more than one replica (setting false then fails the install); with one, it keeps a rolling update from running two reconcilers at once.',
              true,
            ),
            leaseDuration: duration('How long standbys wait after the last renewal before taking over (`--leader-election-lease-duration`).', '15s'),
            renewDeadline: duration('How long the leader keeps trying to renew before it stops reconciling (`--leader-election-renew-deadline`).', '10s'),
            retryPeriod: duration('Interval between renewals and between attempts to acquire (`--leader-election-retry-period`).', '2s'),
          }),
        }
      : {}),
    ...p.settings,
    otlp: group('Per-program additions to `global.otlp`.', {
      endpoint: string('OTLP base URL for this program; empty: `global.otlp.endpoint`.', ''),
      resourceAttributes: stringMap('Resource attributes added to (or replacing) `global.otlp.resourceAttributes` for this program.', {}, {
        keyPattern: RESOURCE_ATTRIBUTE_TEXT,
        valuePattern: RESOURCE_ATTRIBUTE_TEXT,
      }),
    }),
    resources: custom(
      `CPU and memory requests and limits of the container. Defaults from the measured footprint (memory request / limit): ${PROGRAMS.map((n) => `${n} ${DEFAULT_RESOURCES[n].requests.memory} / ${DEFAULT_RESOURCES[n].limits.memory}`).join(', ')}; the heap follows the limit.`,
      ref('ResourceRequirements'),
      DEFAULT_RESOURCES[p.name],
    ),
    podSecurityContext: custom(
      'The Pod\'s security context. The default meets the restricted Pod Security Standard (non-root uid 65532, seccomp RuntimeDefault).',
      ref('PodSecurityContext'),
      DEFAULT_POD_SECURITY_CONTEXT,
    ),
    securityContext: custom(
      'The container\'s security context. The default meets the restricted Pod Security Standard and makes the root file system read-only.',
      ref('SecurityContext'),
      DEFAULT_CONTAINER_SECURITY_CONTEXT,
    ),
    livenessProbe: probe('liveness (`GET /healthz`)', 10, 3),
    readinessProbe: probe('readiness (`GET /readyz`: caches synced)', 5, 3),
    serviceAccount: group('The ServiceAccount the program runs as (named after the program), bound to exactly the program\'s rules.', {
      annotations: stringMap('Annotations of the ServiceAccount (e.g. a cloud workload identity).', {}),
    }),
    podAnnotations: stringMap('Annotations of the Pods.', {}),
    podLabels: stringMap('Extra labels of the Pods.', {}),
    priorityClassName: string('PriorityClass of the Pods; empty: `global.priorityClassName`.', ''),
    nodeSelector: stringMap('Node labels the Pods require; empty: `global.nodeSelector`.', {}),
    tolerations: kubernetesList('Taints the Pods tolerate; empty: `global.tolerations`.', 'Toleration'),
    affinity: custom('Affinity of the Pods.', ref('Affinity'), {}),
    topologySpreadConstraints: custom(
      'How replicas spread over the topology. Entries without a `labelSelector` get the Pods\' own; the default spreads over nodes when it can.',
      { type: 'array', items: ref('TopologySpreadConstraint') },
      [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' }],
    ),
    podDisruptionBudget: group('A PodDisruptionBudget for the Pods (voluntary disruptions such as node drains).', {
      enabled: boolean('Create it.', true),
      maxUnavailable: intOrPercent('Pods that may be down at once (a number or a percentage); null when `minAvailable` is used.', 1),
      minAvailable: intOrPercent('Pods that must stay up (a number or a percentage); set `maxUnavailable: null` to use it.', null),
    }),
    metrics: group('Prometheus metrics (`/metrics` on the health port).', {
      service: group('A ClusterIP Service in front of `/metrics` (named `<program>-metrics`, port `http-metrics`).', {
        enabled: boolean('Create it (implied by `serviceMonitor.enabled`).', false),
      }),
      serviceMonitor: group('A Prometheus Operator ServiceMonitor (needs its CRD: monitoring.coreos.com/v1).', {
        enabled: boolean('Create it.', false),
        interval: duration('Scrape interval.', '30s'),
        scrapeTimeout: duration('Scrape timeout.', '10s'),
        labels: stringMap('Extra labels (e.g. the one your Prometheus selects ServiceMonitors by).', {}),
      }),
    }),
    extraArgs: stringList('Extra command-line flags, e.g. `--log-level=debug` (see the program\'s `--help`); they come last and win.', []),
    extraEnv: kubernetesList('Extra environment variables of the container (`value` or `valueFrom`).', 'EnvVar'),
  };
}

const workers = (what: string, def: number) => integer(`${what} (\`--workers\`).`, def, { minimum: 1, flag: 'workers' });

export const PROGRAM_DEFINITIONS: readonly ProgramDefinition[] = [
  {
    name: 'sandbox-controller',
    description: 'The sandbox-controller: reconciles Sandboxes into their Pod, headless Service and PVCs, and SandboxTemplates into their NetworkPolicy.',
    component: 'controller',
    settings: {
      workers: workers('Sandboxes reconciled at once', 16),
      templateWorkers: integer('SandboxTemplates reconciled at once (`--template-workers`).', 2, { minimum: 1, flag: 'template-workers' }),
      clusterDomain: string('DNS domain of the cluster, for a Sandbox\'s `status.serviceFQDN` (`--cluster-domain`).', 'cluster.local', {
        pattern: DOMAIN,
        flag: 'cluster-domain',
      }),
    },
  },
  {
    name: 'claim-controller',
    description: 'The claim-controller: binds SandboxClaims to Ready warm-pool Sandboxes, or starts one cold.',
    component: 'controller',
    settings: {
      workers: workers('Claims reconciled at once', 32),
      allowedLabelDomains: stringList(
        'Domains a claim\'s `additionalPodMetadata` label keys may use, each with its subdomains (`--allowed-label-domains`). Keep it equal to the admission-webhook\'s `policy.allowedLabelDomains`.',
        ['sandbox.users.io'],
        { itemPattern: DOMAIN, flag: 'allowed-label-domains' },
      ),
    },
  },
  {
    name: 'warmpool-orchestrator',
    description: 'The warmpool-orchestrator: keeps each SandboxWarmPool at its desired number of warm Sandboxes.',
    component: 'controller',
    settings: {
      workers: workers('SandboxWarmPools reconciled at once', 4),
      maxCreateBatch: integer('Most member writes at once: creations go 1, 2, 4, … up to this many (slow start), deletions this many at a time (`--max-create-batch`).', 64, { minimum: 1, flag: 'max-create-batch' }),
      readyGracePeriod: duration(
        'A member not Ready this long after creation is replaced, unless its Pod cannot be scheduled (`--ready-grace-period`).',
        '5m',
        { flag: 'ready-grace-period' },
      ),
      expectationsTimeout: duration('How long a pool waits to observe its own creates and deletes (`--expectations-timeout`).', '1m', {
        flag: 'expectations-timeout',
      }),
      statusMinInterval: duration('Least time between two count-only status writes of a pool (`--status-min-interval`).', '1s', {
        flag: 'status-min-interval',
      }),
    },
  },
  {
    name: 'ttl-reaper',
    description: 'The ttl-reaper: at a Sandbox\'s or SandboxClaim\'s deadline, deletes it or marks it expired, by its shutdown policy.',
    component: 'controller',
    settings: {
      workers: workers('Objects acted on at once, per kind', 8),
      actionsPerSecond: integer('Sustained rate of expiries and deletions (`--actions-per-second`).', 200, { minimum: 1, flag: 'actions-per-second' }),
      actionBurst: integer('Actions allowed at once above the sustained rate (`--action-burst`).', 200, { minimum: 1, flag: 'action-burst' }),
    },
  },
  {
    name: 'admission-webhook',
    description: 'The admission-webhook: secure defaults and clear rejections for Agent Sandbox objects at admission, over HTTPS.',
    component: 'webhook',
    settings: {
      webhookPort: integer('Port the HTTPS endpoints listen on in the Pod (`--bind-address=:<port>`); the Service listens on 443.', 9443, {
        minimum: 1,
        maximum: 65535,
      }),
      failurePolicy: enumOf(
        'What the API server does when the webhook cannot be reached: `Fail` refuses the object (nothing is admitted without its checks), `Ignore` admits it unchecked.',
        ['Fail', 'Ignore'],
        'Fail',
      ),
      timeoutSeconds: integer('Seconds the API server waits for a review.', 5, { minimum: 1, maximum: 30 }),
      shutdownDelaySeconds: seconds(
        'Seconds a stopping webhook Pod goes on answering reviews, each answer closing its connection, before it refuses new ones (`--shutdown-delay`): the time the Service\'s endpoints take to forget the Pod on every node, so no review fails during a rolling update. Part of `shutdownTimeoutSeconds`.',
        5,
        { flag: 'shutdown-delay' },
      ),
      namespaceSelector: custom(
        'Namespaces whose objects are reviewed; the default leaves out those labelled `agents.x-k8s.io/admission-webhook: disabled`.',
        ref('LabelSelector'),
        { matchExpressions: [{ key: 'agents.x-k8s.io/admission-webhook', operator: 'NotIn', values: ['disabled'] }] },
      ),
      certManager: group('The serving certificate from cert-manager (the Secret is mounted and reloaded; cert-manager injects the CA).', {
        enabled: boolean('Use cert-manager (its CRDs must be installed).', false),
        issuerRef: group('The issuer that signs the certificate; an empty name: the chart makes a self-signed CA and an Issuer for it.', {
          name: string('Issuer or ClusterIssuer name.', ''),
          kind: enumOf('Issuer kind.', ['Issuer', 'ClusterIssuer'], 'Issuer'),
          group: string('Issuer API group.', 'cert-manager.io'),
        }),
        duration: duration('Lifetime of the serving certificate.', '2160h'),
        renewBefore: duration('Renewal this long before expiry.', '360h'),
      }),
      selfManaged: group('The serving certificate without cert-manager.', {
        generator: enumOf(
          '`chart`: Helm makes a CA and a serving certificate at install, keeps them in a Secret across upgrades and writes the CA into the configurations (any number of replicas). `webhook`: the program makes them at every start and patches the caBundle itself (one replica only).',
          ['chart', 'webhook'],
          'chart',
        ),
        validityDays: integer('Lifetime in days of a chart-made CA and certificate (they are not rotated: reinstall, or use cert-manager).', 3650, {
          minimum: 1,
        }),
      }),
      policy: group('Admission policy (each maps onto one of the webhook\'s flags).', {
        securePodDefaults: boolean(
          'Fill in secure pod defaults where unset: no service-account token, seccomp RuntimeDefault, no privilege escalation, drop ALL capabilities (`--secure-pod-defaults`).',
          true,
          { flag: 'secure-pod-defaults' },
        ),
        defaultRuntimeClass: string('runtimeClassName given to pod specs that set none; empty: none (`--default-runtime-class`).', '', {
          flag: 'default-runtime-class',
        }),
        runtimeClassByNamespace: stringMap('Per-namespace default runtimeClassName, before `defaultRuntimeClass` (`--runtime-class-by-namespace`).', {}, {
          flag: 'runtime-class-by-namespace',
        }),
        allowedRuntimeClasses: stringList('runtimeClassNames a pod spec may use; when set, one must be named; empty: any (`--allowed-runtime-classes`).', [], {
          flag: 'allowed-runtime-classes',
        }),
        requireResourceLimits: boolean('Refuse containers without resource limits (`--require-resource-limits`).', false, {
          flag: 'require-resource-limits',
        }),
        requiredLimits: stringList('Resources every container must limit when limits are required (`--required-limits`).', ['cpu', 'memory'], {
          flag: 'required-limits',
        }),
        maxPoolReplicas: integer('The cluster\'s ceiling on a SandboxWarmPool\'s replicas (`--max-pool-replicas`).', 100, {
          minimum: 0,
          flag: 'max-pool-replicas',
        }),
        shutdownTimeTolerance: duration('How far in the past a new claim\'s shutdownTime may be before it is refused (`--shutdown-time-tolerance`).', '10s', {
          flag: 'shutdown-time-tolerance',
        }),
        allowedLabelDomains: stringList(
          'Domains a claim\'s `additionalPodMetadata` label keys may use (`--allowed-label-domains`). Keep it equal to the claim-controller\'s `allowedLabelDomains`.',
          ['sandbox.users.io'],
          { itemPattern: DOMAIN, flag: 'allowed-label-domains' },
        ),
        trustedUsers: stringList(
          'Users allowed to set reserved `agents.x-k8s.io/` keys, besides the four controllers\' ServiceAccounts in the release namespace, which are always trusted (`--trusted-users`).',
          [],
        ),
        trustedGroups: stringList('Groups allowed to set reserved keys (`--trusted-groups`).', [], { flag: 'trusted-groups' }),
      }),
    },
  },
  {
    name: 'sandbox-router',
    description:
      'The sandbox-router: the reverse proxy SDKs reach sandboxes through, routing each request by its X-Sandbox-* headers and checking the caller may use that Sandbox.',
    component: 'router',
    settings: {
      watchNamespace: string('Route to Sandboxes of this namespace only (`--watch-namespace`); empty: all namespaces.', '', { flag: 'watch-namespace' }),
      proxyPort: integer('Port the proxy listens on in the Pod (`--bind-address=:<port>`).', 8080, { minimum: 1, maximum: 65535 }),
      service: group('The Service SDKs reach the router through (`http://sandbox-router.<namespace>:<port>`).', {
        type: enumOf('Service type: `ClusterIP` inside the cluster, `NodePort` or `LoadBalancer` to reach it from outside (put TLS in front then).', ['ClusterIP', 'NodePort', 'LoadBalancer'], 'ClusterIP'),
        port: integer('Port of the Service.', 8080, { minimum: 1, maximum: 65535 }),
        nodePort: custom('Node port with `type: NodePort`; null: one the cluster picks.', { anyOf: [{ type: 'integer', minimum: 1, maximum: 65535 }, { type: 'null' }] }, null),
        annotations: stringMap('Annotations of the Service (e.g. a cloud load balancer\'s).', {}),
      }),
      authorization: boolean(
        'Require a bearer token whose user may `get` the Sandbox or its claim (TokenReview and SubjectAccessReview) (`--authorization`). Off is for development only: whoever reaches the router reaches every sandbox.',
        true,
        { flag: 'authorization' },
      ),
      authorizationCacheTtl: duration('How long a token\'s identity and an allow or deny are cached (`--authorization-cache-ttl`).', '10s', { flag: 'authorization-cache-ttl' }),
      tokenAudiences: stringList('Audiences a caller\'s token must be meant for; empty: the API server\'s own (`--token-audiences`).', [], { flag: 'token-audiences' }),
      defaultTimeout: duration('Time limit of a request that sets no X-Sandbox-Timeout (`--default-timeout`).', '3m', { flag: 'default-timeout' }),
      maxTimeout: duration('The longest X-Sandbox-Timeout honoured (`--max-timeout`).', '1h', { flag: 'max-timeout' }),
      websocketIdleTimeout: duration('A WebSocket with no traffic either way for this long is closed (`--websocket-idle-timeout`).', '5m', { flag: 'websocket-idle-timeout' }),
      websocketMaxLifetime: duration('A WebSocket is closed this long after it opened (`--websocket-max-lifetime`).', '1h', { flag: 'websocket-max-lifetime' }),
      maxWebsocketsPerClient: integer('WebSockets open at once per caller; more get 429 (`--max-websockets-per-client`).', 32, { minimum: 1, flag: 'max-websockets-per-client' }),
      resolveWait: duration('How long a request for a Sandbox the router has not seen (not seen Ready, or not seen held by a claim the caller may get) yet waits for its watch to catch up before 404, 503 or 403 (`--resolve-wait`).', '3s', { flag: 'resolve-wait' }),
    },
  },
];

export function programValues(p: ProgramDefinition): Record<string, Value> {
  return { global: globalValues, ...commonValues(p) };
}

export const crdsValues: Record<string, Value> = {
  global: globalValues,
  enabled: boolean('Install (and upgrade) the four CustomResourceDefinitions.', true),
  keep: boolean(
    'Keep the CRDs when the release is uninstalled (`helm.sh/resource-policy: keep`). Without it, uninstalling deletes every Sandbox, claim, template and pool in the cluster.',
    true,
  ),
};

/** The sandbox-runtime's subchart: no Deployment (the runtime runs inside each sandbox), a template and a pool of it. */
export const SANDBOX_RUNTIME = 'sandbox-runtime';

export const SANDBOX_RUNTIME_DESCRIPTION =
  'The sandbox-runtime, the server inside every sandbox, as a SandboxTemplate whose container runs it and a SandboxWarmPool of that template: ' +
  'sandboxes to claim at once with the SDKs, or a template to copy. No Deployment: the runtime runs in each sandbox made from the template.';

/** A DNS-1123 label (a namespace), or empty. */
const OPTIONAL_DNS_LABEL = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$';
/** A DNS-1123 subdomain (the name of a template or pool). */
const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const QUANTITY = '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$';

export const runtimeValues: Record<string, Value> = {
  global: globalValues,
  enabled: boolean(
    'Install the template and its pool with the umbrella chart. Off by default: they are an example (a subchart installed alone always renders them).',
    false,
  ),
  namespace: string('Namespace of the template and the pool (where agents claim sandboxes); empty: the release namespace.', '', { pattern: OPTIONAL_DNS_LABEL }),
  image: group('The runtime\'s image: `<registry>/<repository>:<tag>` or `…@<digest>`.', {
    registry: string('Registry; empty: `global.image.registry`.', ''),
    repository: string('Repository in the registry.', `agent-sandbox/${SANDBOX_RUNTIME}`),
    tag: string('Tag; empty: `global.image.tag`, else the chart\'s appVersion.', ''),
    digest: string('Digest (`sha256:…`); when set, the image is pulled by digest and the tag is ignored.', '', { pattern: '^(sha256:[a-f0-9]{64})?$' }),
    pullPolicy: enumOf('Pull policy; empty: `global.image.pullPolicy`.', ['', ...PULL_POLICIES], ''),
  }),
  imagePullSecrets: kubernetesList('Secrets for pulling the image, after `global.imagePullSecrets`.', 'LocalObjectReference'),
  template: group('The SandboxTemplate. Its Pods meet the restricted Pod Security Standard with a read-only root: the base directory `/app` and `/tmp` are the writable places.', {
    name: string('Name of the template (what claims and pools refer to).', 'python-runtime', { pattern: DNS_SUBDOMAIN }),
    labels: stringMap('Extra labels of the template.', {}),
    podLabels: stringMap('Extra labels of the sandboxes\' Pods.', {}),
    podAnnotations: stringMap('Annotations of the sandboxes\' Pods.', {}),
    port: integer('Port the runtime listens on (`--port`): the router\'s `X-Sandbox-Port`, 8888 unless the caller says otherwise.', 8888, { minimum: 1, maximum: 65535 }),
    execTimeoutSeconds: integer('A command\'s timeout and the most a request may ask for; then its whole process group is killed (`--sandbox-exec-timeout-seconds`).', 300, { minimum: 1 }),
    maxConcurrentCommands: integer('Commands running at once in a sandbox; more get 429 (`--max-concurrent-commands`).', 64, { minimum: 1 }),
    maxUploadBytes: integer('Largest uploaded file; larger ones get 413 and leave nothing (`--max-upload-bytes`).', 512 * 1024 * 1024, { minimum: 1 }),
    runtimeClassName: string('RuntimeClass of the sandboxes\' Pods (e.g. `gvisor`); empty: the cluster\'s default runtime.', ''),
    resources: custom(
      'CPU and memory of the runtime\'s container: what every command an agent runs shares.',
      ref('ResourceRequirements'),
      { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    ),
    workspaceSizeLimit: string('Size limit of the base directory `/app` (an emptyDir).', '1Gi', { pattern: QUANTITY }),
    tmpSizeLimit: string('Size limit of `/tmp` (an emptyDir in memory: it counts against the memory limit).', '64Mi', { pattern: QUANTITY }),
    podSecurityContext: custom('The Pod\'s security context (non-root uid 65532, seccomp RuntimeDefault).', ref('PodSecurityContext'), DEFAULT_POD_SECURITY_CONTEXT),
    securityContext: custom('The container\'s security context (no privilege escalation, no capabilities, read-only root).', ref('SecurityContext'), DEFAULT_CONTAINER_SECURITY_CONTEXT),
    nodeSelector: stringMap('Node labels the sandboxes\' Pods require (not `global.nodeSelector`: that places the programs, sandboxes are workloads).', {}),
    tolerations: kubernetesList('Taints the sandboxes\' Pods tolerate.', 'Toleration'),
    extraEnv: kubernetesList('Extra environment variables of the runtime and of every command it runs.', 'EnvVar'),
  }),
  warmPool: group('A SandboxWarmPool of the template: sandboxes kept Ready, so a claim is served at once.', {
    enabled: boolean('Create it.', true),
    name: string('Name of the pool (what `create_sandbox(warmpool=…)` names); empty: the template\'s.', '', { pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$' }),
    replicas: integer('Warm sandboxes kept Ready.', 3, { minimum: 0 }),
  }),
};

/** The umbrella's values: `global`, then each subchart's under its name. */
export function umbrellaValues(): Record<string, Value> {
  const sub = (description: string, values: Record<string, Value>) => {
    const { global: _global, ...own } = values;
    return group(description, own);
  };
  return {
    global: globalValues,
    crds: sub('The `crds` subchart: the four CustomResourceDefinitions.', crdsValues),
    ...Object.fromEntries(PROGRAM_DEFINITIONS.map((p) => [p.name, sub(`The \`${p.name}\` subchart.`, programValues(p))])),
    [SANDBOX_RUNTIME]: sub('The `sandbox-runtime` subchart: a SandboxTemplate running the runtime, and a warm pool of it.', runtimeValues),
  };
}

export type { ProgramDefinition };
