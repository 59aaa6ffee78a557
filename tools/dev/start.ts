// `npm start`: the whole system on this machine, wired as in a cluster. A local control plane
// and the programs as separate processes, each with its own health port and running as
// its ServiceAccount in agent-sandbox-system, bound to its apps/<program>/rbac.yaml: the
// ClusterRole cluster-wide and the Role (Leases) in agent-sandbox-system, where the four
// controllers elect their leaders as deployed (admission trusts the programs by those names).
// The admission webhook is registered with the API server
// from deploy/webhook/ (the only change: a URL on loopback instead of the Service, which the
// local control plane cannot route to); it generates its certificate and patches its CA into
// the caBundle, as in a cluster without cert-manager. So Sandboxes, templates, claims and pools
// are admitted through it over TLS, and the examples are applied once it answers.
// Ctrl-C stops the programs and the cluster. --keep-cluster leaves the cluster up and removes
// the webhook configurations first: with failurePolicy Fail and no webhook left to answer, they
// would refuse every object they cover.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { SANDBOX } from '@agent-sandbox/api';
import {
  ControlPlane,
  GiveUp,
  httpGet,
  registerLoopbackWebhooks,
  serviceAccountKubeConfig,
  waitFor,
  type LoopbackWebhooks,
  type Profile,
} from '@agent-sandbox/controlplane';
import { PROGRAM_NODE_FLAGS } from '@agent-sandbox/images';
import { portInUse } from '@agent-sandbox/cache';
import { startJaeger, type Jaeger } from '@agent-sandbox/observability';

const ROOT = join(import.meta.dirname, '..', '..');
// The sandbox-router runs too: it watches the cluster and answers as deployed (400, 401/403 by
// TokenReview and SubjectAccessReview, 404, 503). kwok's Pods have no network behind their IPs,
// so requests that pass those checks end in 502 until the real node exists. The sandbox-runtime
// is not started: it lives inside sandboxes' Pods.
export const PROGRAMS = ['sandbox-controller', 'claim-controller', 'warmpool-orchestrator', 'ttl-reaper', 'admission-webhook', 'sandbox-router'] as const;
const SYSTEM_NAMESPACE = 'agent-sandbox-system';
const FIELD_MANAGER = 'npm-start';
const WEBHOOK_URL = 'https://127.0.0.1:18443';
const ROUTER_ADDRESS = '127.0.0.1:18080';
const healthPort = (program: (typeof PROGRAMS)[number]) => 18081 + PROGRAMS.indexOf(program);
/** The controllers: each elects its leader on a Lease in its own namespace. */
const ELECTED = new Set<string>(['sandbox-controller', 'claim-controller', 'warmpool-orchestrator', 'ttl-reaper']);

const { values } = parseArgs({
  options: {
    'keep-cluster': { type: 'boolean', default: false },
    profile: { type: 'string', default: 'fast' },
    'log-level': { type: 'string', default: 'info' },
    'real-node': { type: 'boolean', default: false },
    tracing: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(`Usage: npm start [-- --keep-cluster] [-- --profile fast|realistic] [-- --log-level debug] [-- --real-node] [-- --tracing]

Starts the local control plane (cluster "local"), builds and runs the programs (the five of the control plane and the sandbox-router) against it
(each as its ServiceAccount in ${SYSTEM_NAMESPACE}), registers the admission webhook with the
API server at ${WEBHOOK_URL} (failurePolicy Fail, as shipped), applies the
example template and warm pool once the API server calls the webhook, and prints where
everything is.

Ctrl-C stops the programs and removes the cluster. With --keep-cluster the cluster stays up,
and the webhook configurations are removed before the webhook stops: with nothing left to
answer them, every Sandbox, template, claim and pool would be refused. The next npm start
registers them again.

--real-node adds one real node on this machine (kubelet, containerd, pod network, kube-proxy,
CoreDNS; Linux, root and a few Debian packages: the error names them). Pods land there only
with its toleration and node selector (see README, "A real node").

--tracing starts Jaeger (built from its pinned Go module on first use, a few minutes) on
loopback with in-memory storage, and points every program at it with the standard OTEL_*
variables: OTLP on 127.0.0.1:4318 (HTTP) and :4317 (gRPC), the query API and UI on
http://127.0.0.1:16686 (other free ports when those are taken; the lines printed say which).`);
  process.exit(0);
}

const say = (line: string) => console.error(`start: ${line}`);
const cp = await ControlPlane.up({
  name: 'local',
  profile: values.profile as Profile,
  preload: [join(ROOT, 'deploy', 'crds')],
  realNode: values['real-node'],
  progress: say,
});

// Jaeger first, so the programs' first spans have somewhere to go.
let jaeger: Jaeger | undefined;
if (values.tracing) {
  const preferred = async (port: number) => ((await portInUse(port)) ? undefined : port);
  try {
    jaeger = await startJaeger({
      ports: Object.fromEntries(
        Object.entries({ otlpGrpc: await preferred(4317), otlpHttp: await preferred(4318), queryHttp: await preferred(16686), queryGrpc: await preferred(16685), health: await preferred(13133) }).filter(([, v]) => v !== undefined),
      ),
      logFile: join(cp.dir, 'jaeger.log'),
      progress: say,
    });
    say(`jaeger: OTLP on ${jaeger.otlpHttpEndpoint} (HTTP) and ${jaeger.otlpGrpcEndpoint} (gRPC); traces at ${jaeger.queryUrl}`);
  } catch (err) {
    say(`jaeger did not start: ${(err as Error).message}`);
    if (!values['keep-cluster']) await cp.down();
    process.exit(1);
  }
}

say('building the programs');
const build = spawnSync(join(ROOT, 'node_modules', '.bin', 'nx'), ['run-many', '-t', 'build', '--output-style=static'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) {
  say('build failed');
  if (!values['keep-cluster']) await cp.down();
  process.exit(1);
}

const children = new Map<string, ChildProcess>();
let webhooks: LoopbackWebhooks | undefined;
let stopping: Promise<never> | undefined;

/** Stops everything once and exits with `code`; every caller waits for that exit. */
function stop(code = 0): Promise<never> {
  stopping ??= shutDown(code);
  return stopping;
}

async function shutDown(code: number): Promise<never> {
  if (values['keep-cluster'] && webhooks) {
    say('removing the webhook configurations');
    await webhooks.remove().catch((err: Error) => say(`could not remove the webhook configurations: ${err.message}`));
  }
  say('stopping the programs');
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => child.kill('SIGKILL'), 35_000);
          child.once('exit', () => (clearTimeout(timer), resolve()));
          child.kill('SIGTERM');
        }),
    ),
  );
  if (jaeger) {
    say('stopping jaeger');
    await jaeger.stop();
  }
  if (values['keep-cluster']) say(`cluster left running: npm run cluster -- down`);
  else {
    say('stopping the cluster');
    await cp.down();
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

try {
  const admin = cp.kubeConfig();
  say(`creating the programs' ServiceAccounts in ${SYSTEM_NAMESPACE}`);
  const kubeconfigs = new Map<string, string>();
  for (const program of PROGRAMS) {
    const kc = await serviceAccountKubeConfig(admin, {
      namespace: SYSTEM_NAMESPACE,
      name: program,
      rbacFile: join(ROOT, 'apps', program, 'rbac.yaml'),
      fieldManager: FIELD_MANAGER,
    });
    const file = join(cp.dir, 'kubeconfig', `${program}.yaml`);
    writeFileSync(file, kc.exportConfig(), { mode: 0o600 });
    kubeconfigs.set(program, file);
  }

  // Registered before the webhook starts, so its caBundle patcher finds them at once.
  say(`registering the admission webhook at ${WEBHOOK_URL}`);
  webhooks = await registerLoopbackWebhooks(admin, join(ROOT, 'deploy', 'webhook', 'webhook-configurations.yaml'), {
    url: WEBHOOK_URL,
    fieldManager: FIELD_MANAGER,
  });

  for (const program of PROGRAMS) {
    const port = healthPort(program);
    const child = spawn(
      process.execPath,
      [
        // The images' node flags (heap sized to the memory limit, a small young generation).
        ...PROGRAM_NODE_FLAGS,
        join(ROOT, 'apps', program, 'dist', 'main.js'),
        `--health-probe-bind-address=127.0.0.1:${port}`,
        `--log-level=${values['log-level']}`,
        // Loopback only: the API server is on this machine. The configuration name and the
        // caBundle patching keep their defaults, as deployed.
        ...(program === 'admission-webhook' ? [`--bind-address=${new URL(WEBHOOK_URL).host}`] : []),
        ...(program === 'sandbox-router' ? [`--bind-address=${ROUTER_ADDRESS}`] : []),
        // The controllers elect their leaders as deployed (one Lease each, in their namespace).
        ...(ELECTED.has(program) ? ['--leader-elect'] : []),
      ],
      // POD_NAMESPACE as in a Pod: the programs' Leases live in their own namespace, where
      // their rbac.yaml's Role is bound.
      // With --tracing, the standard OTEL_* variables point each program at the local Jaeger.
      { cwd: ROOT, env: { ...process.env, ...(jaeger?.otelEnv(program) ?? {}), KUBECONFIG: kubeconfigs.get(program), POD_NAMESPACE: SYSTEM_NAMESPACE }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.set(program, child);
    const tag = program.padEnd(22);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${tag}| ${line}\n`));
    }
    child.on('exit', (code, signal) => {
      children.delete(program);
      if (!stopping) say(`${program} exited (${signal ?? `code ${code}`})`);
    });
    say(`${program}: health on http://127.0.0.1:${port}/healthz`);
  }

  // Ready once it serves and has patched its CA into both configurations; the API server then
  // picks the caBundle up through its own informers, so wait for it to really call the webhook.
  say('waiting for the API server to admit through the webhook');
  await waitFor(
    'the admission webhook to be ready',
    async () => {
      if (!children.has('admission-webhook')) throw new GiveUp('the admission-webhook exited');
      return (await httpGet(`http://127.0.0.1:${healthPort('admission-webhook')}/readyz`)).status === 200;
    },
    60_000,
  );
  const objects = admin.makeApiClient(CustomObjectsApi);
  await waitFor('the API server to call the admission webhook', () => admitsThroughWebhook(objects), 30_000);
} catch (err) {
  say((err as Error).message);
  await stop(1);
}

// The example template and its warm pool (and the RuntimeClass the template names).
const kubectl = (args: string[]) => spawnSync(cp.binaries.kubectl, args, { env: { ...process.env, KUBECONFIG: cp.kubeconfigPath }, stdio: 'inherit' });
for (const file of ['tools/dev/local-cluster.yaml', 'deploy/examples/python-runtime-template.yaml', 'deploy/examples/python-warm-pool.yaml']) {
  if (kubectl(['apply', '--server-side', '--field-manager=npm-start', '-f', join(ROOT, file)]).status !== 0) say(`could not apply ${file}`);
}

console.error(`
The system is running. In another shell:
  export KUBECONFIG=${cp.kubeconfigPath}
  export PATH=${join(cp.binaries.dir, 'bin')}:$PATH    # the pinned kubectl
  kubectl get sandboxtemplates,sandboxwarmpools,sandboxes
  kubectl get mutatingwebhookconfigurations,validatingwebhookconfigurations   # admission at ${WEBHOOK_URL}
  kubectl apply --server-side -f deploy/examples/claim-with-lifecycle.yaml   # a claim served warm
  curl -H 'X-Sandbox-ID: <sandbox>' http://${ROUTER_ADDRESS}/   # the sandbox-router (a bearer token is required)
${jaeger ? `  npm run trace -- --query ${jaeger.queryUrl} <claim>   # a claim's trace as a tree (Jaeger's query API: ${jaeger.queryUrl}/api/traces/<trace id>)
` : ''}Ctrl-C stops everything${values['keep-cluster'] ? ' but the cluster' : ''}.
`);

/**
 * A dry run in "default" that only the webhook can answer this way: a Sandbox comes back with
 * the mutating webhook's defaults, and a privileged one is refused by the validating webhook.
 */
async function admitsThroughWebhook(objects: CustomObjectsApi): Promise<boolean> {
  const probe = (spec: Record<string, unknown>) =>
    objects.createNamespacedCustomObject({
      group: SANDBOX.group,
      version: SANDBOX.version,
      namespace: 'default',
      plural: SANDBOX.plural,
      body: {
        apiVersion: SANDBOX.apiVersion,
        kind: SANDBOX.kind,
        metadata: { name: 'npm-start-webhook-probe' },
        spec: { podTemplate: { spec: { containers: [{ name: 'probe', image: 'registry.example/probe:1' }], ...spec } } },
      },
      dryRun: 'All',
    }) as Promise<{ spec: { podTemplate: { spec: Record<string, unknown> } } }>;
  if ((await probe({})).spec.podTemplate.spec.automountServiceAccountToken !== false) return false;
  try {
    await probe({ hostPID: true });
    return false;
  } catch (err) {
    const { body } = err as { body?: unknown };
    const status = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: string } | undefined;
    return status?.message?.startsWith('admission webhook "validate.agents.x-k8s.io" denied the request') ?? false;
  }
}
