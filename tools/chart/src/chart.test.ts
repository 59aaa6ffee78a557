/**
 * The chart as helm sees it, with the pinned helm: lint, golden renderings, the values schema
 * refusing bad values by name, each subchart alone, and what the rendered Pods run (the
 * programs' own flag parsing accepts every flag the chart writes).
 */
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { goldenCases, KUBE_VERSION, NAMESPACE, readGolden, RELEASE, renderGolden, withoutGeneratedCertificates } from './goldens.ts';
import { ensureHelm } from './helm-binary.ts';
import { helm, helmOk } from './helm.ts';
import { projectVersion, REPO_ROOT, subchartDir, UMBRELLA_DIR } from './paths.ts';
import { PROGRAMS, SANDBOX_RUNTIME } from './values/charts.ts';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

interface Container {
  name: string;
  image: string;
  args: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  volumes?: { name: string; secret?: { secretName: string } }[];
  tolerations?: unknown[];
}
type Deployment = K8sObject & { spec: { replicas: number; template: { spec: PodSpec } } };

function parse(manifests: string): K8sObject[] {
  return parseAllDocuments(manifests)
    .map((d) => d.toJSON() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/** `helm template` of the umbrella (or `chart`) with extra helm arguments, as objects. */
async function render(extra: string[] = [], chart = UMBRELLA_DIR): Promise<K8sObject[]> {
  return parse(await helmOk(['template', RELEASE, chart, '--namespace', NAMESPACE, '--kube-version', KUBE_VERSION, ...extra]));
}

const find = <T extends K8sObject = K8sObject>(objects: K8sObject[], kind: string, name: string): T => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found as T;
};
const container = (objects: K8sObject[], program: string) => find<Deployment>(objects, 'Deployment', program).spec.template.spec.containers[0]!;
const flag = (c: Container, name: string) => c.args.filter((a) => a.startsWith(`--${name}=`)).map((a) => a.slice(name.length + 3));

// Each test runs helm (and some, the programs) a few times: seconds each on a loaded machine.
vi.setConfig({ testTimeout: 120_000 });

const CHARTS = ['.', 'charts/agent-sandbox-lib', 'charts/crds', ...PROGRAMS.map((p) => `charts/${p}`), `charts/${SANDBOX_RUNTIME}`];

beforeAll(async () => {
  await ensureHelm((line) => console.error(line));
}, 900_000);

describe('helm lint --strict', () => {
  it.each(CHARTS)('passes for %s', async (chart) => {
    const r = await helm(['lint', '--strict', join(UMBRELLA_DIR, chart)]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it.each(goldenCases().filter((c) => c.valuesFile))('passes for the umbrella with ci/$name-values.yaml', async (c) => {
    const r = await helm(['lint', '--strict', UMBRELLA_DIR, '--values', c.valuesFile!]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});

describe('golden renderings (npm run chart:goldens rewrites them)', () => {
  it.each(goldenCases())('$name', async (c) => {
    const golden = readGolden(c);
    expect(golden, `tools/chart/golden/${c.name}.yaml is missing: run npm run chart:goldens`).toBeDefined();
    expect((await renderGolden(c)) === golden, `the ${c.name} rendering differs from tools/chart/golden/${c.name}.yaml: run npm run chart:goldens and review the diff`).toBe(true);
  });
});

describe('the values schema', () => {
  /** helm's refusal of `args` (exit code and message). */
  async function refusal(args: string[], chart = UMBRELLA_DIR): Promise<string> {
    const r = await helm(['template', RELEASE, chart, '--namespace', NAMESPACE, ...args]);
    expect(r.code, `helm accepted ${args.join(' ')}`).not.toBe(0);
    return r.stderr;
  }

  it('refuses a misspelt key, naming it and where it is', async () => {
    expect(await refusal(['--set', 'sandbox-controller.replicsa=2'])).toMatch(/at '\/sandbox-controller': additional properties 'replicsa' not allowed/);
    expect(await refusal(['--set', 'sandbox-controller.leaderElection.enabeld=true'])).toMatch(
      /at '\/sandbox-controller\/leaderElection': additional properties 'enabeld' not allowed/,
    );
    expect(await refusal(['--set', 'global.imag.registry=x'])).toMatch(/at '\/global': additional properties 'imag' not allowed/);
    expect(await refusal(['--set', 'crds.kepp=false'])).toMatch(/at '\/crds': additional properties 'kepp' not allowed/);
    expect(await refusal(['--set', 'sandbox-controler.enabled=false'])).toMatch(/additional properties 'sandbox-controler' not allowed/);
  });

  it('refuses a misspelt key inside a Kubernetes type', async () => {
    expect(await refusal(['--set-json', 'ttl-reaper.resources={"limts":{"memory":"1Gi"}}'])).toMatch(
      /at '\/ttl-reaper\/resources': additional properties 'limts' not allowed/,
    );
    expect(await refusal(['--set-json', 'global.tolerations=[{"key":"a","efect":"NoSchedule"}]'])).toMatch(
      /at '\/global\/tolerations\/0': additional properties 'efect' not allowed/,
    );
  });

  it('refuses a wrong type or value, naming the key and the rule', async () => {
    expect(await refusal(['--set-json', 'sandbox-controller.replicas="three"'])).toMatch(/at '\/sandbox-controller\/replicas': got string, want integer/);
    expect(await refusal(['--set', 'admission-webhook.failurePolicy=Sometimes'])).toMatch(/at '\/admission-webhook\/failurePolicy': value must be one of 'Fail', 'Ignore'/);
    expect(await refusal(['--set-string', 'warmpool-orchestrator.readyGracePeriod=5 minutes'])).toMatch(
      /at '\/warmpool-orchestrator\/readyGracePeriod': '5 minutes' does not match pattern/,
    );
    expect(await refusal(['--set', 'claim-controller.workers=0'])).toMatch(/at '\/claim-controller\/workers': minimum: got 0, want 1/);
    expect(await refusal(['--set', 'global.otlp.samplingRatio=2'])).toMatch(/at '\/global\/otlp\/samplingRatio': maximum: got 2, want 1/);
  });

  it('refuses bad values given to a subchart installed alone', async () => {
    expect(await refusal(['--set', 'replicsa=2'], subchartDir('ttl-reaper'))).toMatch(/additional properties 'replicsa' not allowed/);
    expect(await refusal(['--set', 'kepp=false'], subchartDir('crds'))).toMatch(/additional properties 'kepp' not allowed/);
  });

  it('refuses them at helm install too', async () => {
    const r = await helm(['install', RELEASE, UMBRELLA_DIR, '--dry-run=client', '--namespace', NAMESPACE, '--set', 'ttl-reaper.replicsa=2']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/at '\/ttl-reaper': additional properties 'replicsa' not allowed/);
  });
});

describe('each subchart installs alone', () => {
  let umbrella: K8sObject[];
  beforeAll(async () => {
    umbrella = parse(withoutGeneratedCertificates(await helmOk(['template', RELEASE, UMBRELLA_DIR, '--namespace', NAMESPACE, '--kube-version', KUBE_VERSION])));
  });
  const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
  const fromSubchart = (o: K8sObject, name: string) => o.metadata.labels?.['helm.sh/chart'] === `${name}-${projectVersion()}`;

  it.each(['crds', ...PROGRAMS])('%s renders alone what the umbrella renders from it', async (name) => {
    const alone = parse(
      withoutGeneratedCertificates(await helmOk(['template', RELEASE, subchartDir(name), '--namespace', NAMESPACE, '--kube-version', KUBE_VERSION])),
    );
    expect(alone.length).toBeGreaterThan(0);
    const sorted = (list: K8sObject[]) => [...list].sort((a, b) => key(a).localeCompare(key(b)));
    expect(sorted(alone)).toEqual(sorted(umbrella.filter((o) => fromSubchart(o, name))));
    if (name !== 'crds') {
      expect(alone.map(key)).toEqual(expect.arrayContaining([`Deployment/${name}`, `ServiceAccount/${name}`, `ClusterRole/agent-sandbox-${name}`]));
    }
  });

  it('renders nothing of a program switched off, and no CRDs with crds.enabled=false', async () => {
    const objects = await render(['--set', 'ttl-reaper.enabled=false', '--set', 'crds.enabled=false']);
    expect(objects.filter((o) => fromSubchart(o, 'ttl-reaper') || fromSubchart(o, 'crds'))).toEqual([]);
    expect(objects.some((o) => fromSubchart(o, 'sandbox-controller'))).toBe(true);
  });
});

describe('what the Pods run', () => {
  it('pulls <registry>/agent-sandbox/<program>:<project version> by default, or by digest', async () => {
    const objects = await render(['--set', 'claim-controller.image.digest=sha256:' + 'a'.repeat(64), '--set', 'ttl-reaper.image.registry=mirror.example']);
    expect(container(objects, 'sandbox-controller').image).toBe(`localhost:5001/agent-sandbox/sandbox-controller:${projectVersion()}`);
    expect(container(objects, 'claim-controller').image).toBe(`localhost:5001/agent-sandbox/claim-controller@sha256:${'a'.repeat(64)}`);
    expect(container(objects, 'ttl-reaper').image).toBe(`mirror.example/agent-sandbox/ttl-reaper:${projectVersion()}`);
  });

  it('elects a leader by default and always with more than one replica; refuses to switch it off then', async () => {
    const byDefault = await render();
    expect(flag(container(byDefault, 'ttl-reaper'), 'leader-elect')).toEqual(['true']);
    expect(flag(container(byDefault, 'ttl-reaper'), 'leader-election-namespace')).toEqual([NAMESPACE]);
    const single = await render(['--set', 'ttl-reaper.leaderElection.enabled=false']);
    expect(flag(container(single, 'ttl-reaper'), 'leader-elect')).toEqual(['false']);
    const three = await render(['--set', 'ttl-reaper.replicas=3']);
    expect(flag(container(three, 'ttl-reaper'), 'leader-elect')).toEqual(['true']);
    const r = await helm(['template', RELEASE, UMBRELLA_DIR, '--set', 'ttl-reaper.replicas=3', '--set', 'ttl-reaper.leaderElection.enabled=false']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ttl-reaper: leaderElection.enabled=false needs replicas: 1');
  });

  it('makes each electing controller\'s Lease in the release namespace (so helm uninstall removes it), none when it does not elect', async () => {
    const leases = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'Lease').map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort();
    expect(leases(await render())).toEqual(['claim-controller', 'sandbox-controller', 'ttl-reaper', 'warmpool-orchestrator'].map((n) => `${NAMESPACE}/${n}`));
    expect(leases(await render(['--set', 'ttl-reaper.leaderElection.enabled=false']))).not.toContain(`${NAMESPACE}/ttl-reaper`);
  });

  it('meets the restricted Pod Security Standard in every container by default', async () => {
    for (const d of (await render()).filter((o): o is Deployment => o.kind === 'Deployment')) {
      const pod = d.spec.template.spec as PodSpec & { securityContext: Record<string, unknown> };
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
      for (const c of pod.containers as (Container & { securityContext: Record<string, unknown> })[]) {
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        });
      }
    }
  });

  it('sends traces where global.otlp says, with the sampler and resource attributes given', async () => {
    const objects = await render(['--values', join(UMBRELLA_DIR, 'ci', 'high-availability-values.yaml')]);
    const env = Object.fromEntries((container(objects, 'sandbox-controller').env ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability:4318',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_RESOURCE_ATTRIBUTES:
        'deployment.environment=prod,k8s.deployment.name=sandbox-controller,k8s.namespace.name=$(POD_NAMESPACE),k8s.pod.name=$(POD_NAME),team=sandboxes',
    });
    const quiet = Object.fromEntries((container(await render(), 'sandbox-controller').env ?? []).map((e) => [e.name, e.value]));
    expect(Object.keys(quiet).filter((k) => k.startsWith('OTEL_'))).toEqual([]);
  });

  /**
   * Runs a program's built entry point with exactly the rendered args and env, plus a kubeconfig
   * that does not exist: a flag the program does not know, or a value it cannot parse, exits 2
   * (flag error) before anything starts; good flags get as far as loading the kubeconfig (exit 1).
   */
  function runWithRenderedFlags(program: string, c: Container, extraArgs: string[] = []) {
    const main = join(REPO_ROOT, 'apps', program, 'dist', 'main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', POD_NAME: `${program}-0`, POD_NAMESPACE: NAMESPACE };
    for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
    const bind = program === 'admission-webhook' ? ['--bind-address=127.0.0.1:0'] : [];
    return spawnSync(process.execPath, [main, ...c.args, '--kubeconfig=/nonexistent/kubeconfig', '--health-probe-bind-address=0', ...bind, ...extraArgs], {
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
  }

  it.each(goldenCases().filter((c) => c.name === 'default' || c.name === 'high-availability'))(
    'gives each program only flags it accepts ($name values)',
    async (c) => {
      const objects = await render(c.valuesFile ? ['--values', c.valuesFile] : []);
      for (const program of PROGRAMS) {
        const result = runWithRenderedFlags(program, container(objects, program));
        const output = result.stdout + result.stderr;
        expect(result.status, `${program}: ${output}`).toBe(1);
        expect(output).toContain('/nonexistent/kubeconfig');
      }
    },
    120_000,
  );

  it('would notice a flag a program does not accept (the check above can fail)', async () => {
    const result = runWithRenderedFlags('ttl-reaper', container(await render(), 'ttl-reaper'), ['--template-workers=2']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown flag --template-workers');
  });
});

describe('the sandbox-router', () => {
  type Service = K8sObject & { spec: { type: string; selector: Record<string, string>; ports: { name: string; port: number; targetPort: string; nodePort?: number }[] } };

  it('listens on its proxy port behind a ClusterIP Service, with authorization on', async () => {
    const objects = await render();
    const c = container(objects, 'sandbox-router') as Container & { ports: { name: string; containerPort: number }[] };
    expect(flag(c, 'bind-address')).toEqual([':8080']);
    expect(flag(c, 'authorization')).toEqual(['true']);
    expect(c.ports).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'proxy', containerPort: 8080 })]));
    const svc = find<Service>(objects, 'Service', 'sandbox-router');
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'http', port: 8080, targetPort: 'proxy' }] });
    expect(svc.spec.selector).toEqual({ 'app.kubernetes.io/name': 'sandbox-router', 'app.kubernetes.io/instance': RELEASE });
    // Stateless: no leader election, no lease rules.
    expect(flag(c, 'leader-elect')).toEqual([]);
    expect(objects.some((o) => o.kind === 'Role' && o.metadata.name.startsWith('agent-sandbox-sandbox-router'))).toBe(false);
  });

  it('takes a NodePort and development mode when asked, and refuses a nodePort without type NodePort', async () => {
    const objects = await render(['--set', 'sandbox-router.service.type=NodePort', '--set', 'sandbox-router.service.nodePort=30080', '--set', 'sandbox-router.authorization=false']);
    expect(find<Service>(objects, 'Service', 'sandbox-router').spec).toMatchObject({ type: 'NodePort', ports: [{ nodePort: 30080 }] });
    expect(flag(container(objects, 'sandbox-router'), 'authorization')).toEqual(['false']);
    const r = await helm(['template', RELEASE, UMBRELLA_DIR, '--set', 'sandbox-router.service.nodePort=30080']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('sandbox-router: service.nodePort is for service.type NodePort (got type ClusterIP)');
  });
});

describe('the sandbox-runtime', () => {
  type Template = K8sObject & {
    spec: { podTemplate: { metadata: { labels: Record<string, string> }; spec: PodSpec & Record<string, unknown> } };
  };
  type Pool = K8sObject & { spec: { replicas: number; sandboxTemplateRef: { name: string } } };
  const fromRuntime = (o: K8sObject) => o.metadata.labels?.['helm.sh/chart'] === `${SANDBOX_RUNTIME}-${projectVersion()}`;

  it('is off in the umbrella by default; alone, it renders what the umbrella renders with it on', async () => {
    expect((await render()).filter(fromRuntime)).toEqual([]);
    const on = (await render(['--set', `${SANDBOX_RUNTIME}.enabled=true`])).filter(fromRuntime);
    expect(on.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['SandboxTemplate/python-runtime', 'SandboxWarmPool/python-runtime']);
    const alone = await render([], subchartDir(SANDBOX_RUNTIME));
    expect(alone).toEqual(on);
    // No Deployment, Service or RBAC: the runtime runs inside the sandboxes made from the template.
    expect(alone.every((o) => o.apiVersion === 'extensions.agents.x-k8s.io/v1beta1')).toBe(true);
  });

  it('a hardened template whose container is the runtime image, and a pool of it, where and as the values say', async () => {
    const objects = await render(['--values', join(UMBRELLA_DIR, 'ci', 'sandbox-runtime-values.yaml'), '--set', `${SANDBOX_RUNTIME}.namespace=agents`]);
    // Only the template and the pool in this release.
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['SandboxTemplate/python', 'SandboxWarmPool/python']);
    const template = find<Template>(objects, 'SandboxTemplate', 'python');
    const pool = find<Pool>(objects, 'SandboxWarmPool', 'python');
    expect(template.metadata.namespace).toBe('agents');
    expect(pool.metadata.namespace).toBe('agents');
    expect(pool.spec).toEqual({ replicas: 5, sandboxTemplateRef: { name: 'python' } });
    const pod = template.spec.podTemplate.spec;
    expect(pod).toMatchObject({
      automountServiceAccountToken: false,
      runtimeClassName: 'gvisor',
      nodeSelector: { 'agent-sandbox.example.com/sandboxes': 'true' },
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
    });
    const [c, ...others] = pod.containers as Array<Container & { securityContext: Record<string, unknown>; ports: unknown[] }>;
    expect(others).toEqual([]);
    expect(c!.image).toBe(`localhost:5001/agent-sandbox/sandbox-runtime:${projectVersion()}`);
    expect(flag(c!, 'sandbox-exec-timeout-seconds')).toEqual(['120']);
    expect(c!.ports).toEqual([{ name: 'http', containerPort: 8888, protocol: 'TCP' }]);
    expect(c!.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    // A read-only root: the base directory and /tmp are volumes.
    expect(c!.volumeMounts!.map((m) => m.mountPath).sort()).toEqual(['/app', '/tmp']);
    // A pool named apart from its template, and none at all.
    const named = await render(['--set', 'warmPool.name=fast,warmPool.replicas=0'], subchartDir(SANDBOX_RUNTIME));
    expect(find<Pool>(named, 'SandboxWarmPool', 'fast').spec).toEqual({ replicas: 0, sandboxTemplateRef: { name: 'python-runtime' } });
    expect((await render(['--set', 'warmPool.enabled=false'], subchartDir(SANDBOX_RUNTIME))).map((o) => o.kind)).toEqual(['SandboxTemplate']);
  });

  it('gives the runtime only flags it accepts: started with them, it serves its API', async () => {
    const main = join(REPO_ROOT, 'apps', SANDBOX_RUNTIME, 'dist', 'main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
    const template = find<Template>(await render([], subchartDir(SANDBOX_RUNTIME)), 'SandboxTemplate', 'python-runtime');
    const c = template.spec.podTemplate.spec.containers[0]!;
    expect(flag(c, 'port')).toEqual(['8888']);
    const base = mkdtempSync(join(tmpdir(), 'chart-runtime-'));
    // The rendered args, then what only this test needs: any free port on loopback, a base directory of its own.
    const child = spawn(process.execPath, [main, ...c.args, '--port=0', '--listen-host=127.0.0.1', `--sandbox-base-dir=${base}`, '--allow-root'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          const record = JSON.parse(line) as { msg?: string; port?: number };
          if (record.msg === 'serving the runtime API') resolve(record.port!);
        });
        child.once('exit', (code) => reject(new Error(`the runtime exited (${code}) with the chart's flags: ${stderr}`)));
      });
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok' });
    } finally {
      child.kill('SIGKILL');
      rmSync(base, { recursive: true, force: true });
    }
    // The same check fails on a flag the runtime does not know.
    const bad = spawnSync(process.execPath, [main, ...c.args, '--workers=2', '--allow-root'], { encoding: 'utf8', timeout: 60_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown flag --workers');
  });

  it('refuses bad values by name', async () => {
    const refused = async (args: string[]) => {
      const r = await helm(['template', RELEASE, subchartDir(SANDBOX_RUNTIME), '--namespace', NAMESPACE, ...args]);
      expect(r.code, `helm accepted ${args.join(' ')}`).not.toBe(0);
      return r.stderr;
    };
    expect(await refused(['--set', 'warmPool.replicas=-1'])).toMatch(/at '\/warmPool\/replicas': minimum: got -1, want 0/);
    expect(await refused(['--set', 'template.name=Python_Runtime'])).toMatch(/at '\/template\/name': 'Python_Runtime' does not match pattern/);
    expect(await refused(['--set', 'namespace=Agents'])).toMatch(/at '\/namespace': 'Agents' does not match pattern/);
    expect(await refused(['--set', 'template.workspaceSizeLimit=lots'])).toMatch(/at '\/template\/workspaceSizeLimit': 'lots' does not match pattern/);
    expect(await refused(['--set-json', 'template.resources={"limts":{"memory":"1Gi"}}'])).toMatch(/at '\/template\/resources': additional properties 'limts' not allowed/);
  });
});

describe('the admission webhook\'s certificate', () => {
  type Secret = K8sObject & { data: Record<string, string> };
  type Configuration = K8sObject & { webhooks: { clientConfig: { caBundle?: string; service: { name: string; namespace: string } }; failurePolicy: string }[] };
  const configurations = (objects: K8sObject[]) =>
    ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'].map((kind) => find<Configuration>(objects, kind, 'agent-sandbox-admission'));
  const pem = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');

  it('by default: a CA and serving certificate made by the chart, mounted, and the CA in both configurations', async () => {
    const objects = await render();
    const secret = find<Secret>(objects, 'Secret', 'admission-webhook-tls');
    const ca = new X509Certificate(pem(secret.data['ca.crt']!));
    const serving = new X509Certificate(pem(secret.data['tls.crt']!));
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(serving.subjectAltName).toContain(`DNS:admission-webhook.${NAMESPACE}.svc`);
    expect(serving.checkPrivateKey((await import('node:crypto')).createPrivateKey(pem(secret.data['tls.key']!)))).toBe(true);
    for (const config of configurations(objects)) {
      expect(config.webhooks[0]!.clientConfig.caBundle).toBe(secret.data['ca.crt']);
      expect(config.webhooks[0]!.clientConfig.service).toMatchObject({ name: 'admission-webhook', namespace: NAMESPACE });
      expect(config.webhooks[0]!.failurePolicy).toBe('Fail');
    }
    const deployment = find<Deployment>(objects, 'Deployment', 'admission-webhook');
    expect(deployment.spec.template.spec.volumes).toEqual([{ name: 'tls', secret: { secretName: 'admission-webhook-tls' } }]);
    expect(flag(deployment.spec.template.spec.containers[0]!, 'tls-cert-dir')).toEqual(['/tls']);
    expect(flag(deployment.spec.template.spec.containers[0]!, 'patch-ca-bundle')).toEqual(['false']);
  });

  it('with selfManaged.generator=webhook: no Secret and no caBundle; the webhook patches it (one replica only)', async () => {
    const objects = await render(['--set', 'admission-webhook.selfManaged.generator=webhook']);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    for (const config of configurations(objects)) expect(config.webhooks[0]!.clientConfig.caBundle).toBeUndefined();
    const c = container(objects, 'admission-webhook');
    expect(flag(c, 'patch-ca-bundle')).toEqual(['true']);
    expect(flag(c, 'tls-cert-dir')).toEqual([]);
    const r = await helm(['template', RELEASE, UMBRELLA_DIR, '--set', 'admission-webhook.selfManaged.generator=webhook', '--set', 'admission-webhook.replicas=2']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('selfManaged.generator=webhook works with replicas: 1 only');
  });

  it('with cert-manager: a Certificate whose Secret is mounted, and the CA injected by annotation', async () => {
    const objects = await render(['--set', 'admission-webhook.certManager.enabled=true', '--set', 'admission-webhook.failurePolicy=Ignore']);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const certificate = find<K8sObject & { spec: { secretName: string; dnsNames: string[]; issuerRef: { name: string } } }>(objects, 'Certificate', 'admission-webhook');
    expect(certificate.spec.dnsNames).toContain(`admission-webhook.${NAMESPACE}.svc`);
    expect(certificate.spec.issuerRef.name).toBe('admission-webhook-ca');
    find(objects, 'Issuer', 'admission-webhook-ca');
    for (const config of configurations(objects)) {
      expect(config.metadata.annotations?.['cert-manager.io/inject-ca-from']).toBe(`${NAMESPACE}/admission-webhook`);
      expect(config.webhooks[0]!.clientConfig.caBundle).toBeUndefined();
      expect(config.webhooks[0]!.failurePolicy).toBe('Ignore');
    }
    const deployment = find<Deployment>(objects, 'Deployment', 'admission-webhook');
    expect(deployment.spec.template.spec.volumes).toEqual([{ name: 'tls', secret: { secretName: certificate.spec.secretName } }]);
    const own = await render(['--set', 'admission-webhook.certManager.enabled=true', '--set', 'admission-webhook.certManager.issuerRef.name=corp-ca', '--set', 'admission-webhook.certManager.issuerRef.kind=ClusterIssuer']);
    expect(own.filter((o) => o.kind === 'Issuer')).toEqual([]);
    expect(find<K8sObject & { spec: { issuerRef: unknown } }>(own, 'Certificate', 'admission-webhook').spec.issuerRef).toEqual({
      name: 'corp-ca',
      kind: 'ClusterIssuer',
      group: 'cert-manager.io',
    });
  });

  it('trusts the four controllers\' ServiceAccounts in the release namespace, and the users given', async () => {
    const objects = await render(['--set', 'admission-webhook.policy.trustedUsers={alice}']);
    expect(flag(container(objects, 'admission-webhook'), 'trusted-users')).toEqual([
      ['sandbox-controller', 'claim-controller', 'warmpool-orchestrator', 'ttl-reaper'].map((p) => `system:serviceaccount:${NAMESPACE}:${p}`).concat('alice').join(','),
    ]);
  });
});
