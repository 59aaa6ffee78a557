/**
 * The chart's rendered manifests against the real API server of the test run, in dry-run only
 * (the cluster is shared with every other integration test: nothing here may install a webhook
 * or a cluster role for real): every object must be one the API server accepts, and every
 * program's Pod must be admitted in a namespace that enforces the restricted Pod Security
 * Standard.
 */
import { spawn } from 'node:child_process';
import { CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { ensureBinaries } from '@agent-sandbox/controlplane';
import { createTestNamespace, testKubeConfig, type TestNamespace } from '@agent-sandbox/controlplane/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { goldenCases, KUBE_VERSION, RELEASE, type GoldenCase } from './goldens.ts';
import { ensureHelm } from './helm-binary.ts';
import { helmOk } from './helm.ts';
import { UMBRELLA_DIR } from './paths.ts';
import { PROGRAMS } from './values/charts.ts';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { template?: { metadata?: { labels?: Record<string, string> }; spec: unknown } };
}

/** Kinds whose CRDs (cert-manager, Prometheus Operator) the test cluster does not have; the goldens cover them. */
const ABSENT_KINDS = new Set(['cert-manager.io/v1/Certificate', 'cert-manager.io/v1/Issuer', 'monitoring.coreos.com/v1/ServiceMonitor']);

let kubectl: string;
let namespace: TestNamespace;

function run(cmd: string, args: string[], input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** `kubectl <args> -f -` with `objects` on stdin, as the test run's administrator. */
function kubectlWith(objects: readonly object[], args: string[]) {
  const input = objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
  return run(kubectl, ['--kubeconfig', inject('kubeconfig'), ...args, '-f', '-'], input);
}

const dryRunApply = (objects: readonly object[]) =>
  kubectlWith(objects, ['apply', '--server-side', '--force-conflicts', '--field-manager=chart-test', '--dry-run=server']);

async function render(c: GoldenCase, extra: string[] = []): Promise<K8sObject[]> {
  const out = await helmOk([
    'template',
    RELEASE,
    UMBRELLA_DIR,
    '--namespace',
    namespace.name,
    '--kube-version',
    KUBE_VERSION,
    ...(c.valuesFile ? ['--values', c.valuesFile] : []),
    ...extra,
  ]);
  return parseAllDocuments(out)
    .map((d) => d.toJSON() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/** The Pod each Deployment would make, in the test namespace. */
function podsOf(objects: K8sObject[]): object[] {
  return objects
    .filter((o) => o.kind === 'Deployment')
    .map((d) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${d.metadata.name}-pod`, namespace: namespace.name, labels: d.spec!.template!.metadata?.labels ?? {} },
      spec: d.spec!.template!.spec,
    }));
}

beforeAll(async () => {
  await ensureHelm((line) => console.error(line));
  kubectl = (await ensureBinaries()).kubectl;
  namespace = await createTestNamespace('chart');
  // Enforce (Pods) and warn (Deployments and other workloads) at the restricted level.
  await testKubeConfig()
    .makeApiClient(CoreV1Api)
    .patchNamespace(
      {
        name: namespace.name,
        body: { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
}, 900_000);

afterAll(async () => {
  await namespace?.remove();
});

describe('rendered manifests on the real API server (dry-run)', () => {
  it.each(goldenCases())('$name: every object is valid and no workload would violate the restricted standard', async (c) => {
    const objects = await render(c);
    const skipped = objects.filter((o) => ABSENT_KINDS.has(`${o.apiVersion}/${o.kind}`));
    const checked = objects.filter((o) => !skipped.includes(o));
    expect(checked.length).toBeGreaterThan(0);
    const r = await dryRunApply(checked);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/would violate PodSecurity/);
    expect(r.stdout.trim().split('\n')).toHaveLength(checked.length);
  });

  it('admits each program\'s Pod where the restricted Pod Security Standard is enforced', async () => {
    const objects = await render({ name: 'default' });
    // Pod admission needs the ServiceAccounts; they are the only objects made for real (in the test namespace).
    const accounts = objects.filter((o) => o.kind === 'ServiceAccount');
    const made = await kubectlWith(accounts, ['apply', '--server-side', '--field-manager=chart-test']);
    expect(made.code, made.stderr).toBe(0);
    const pods = podsOf(objects);
    expect(pods).toHaveLength(PROGRAMS.length);
    const r = await kubectlWith(pods, ['create', '--dry-run=server']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('refuses a Pod that breaks the standard (the check above can fail)', async () => {
    const loose = await render({ name: 'default' }, [
      '--set-json',
      'sandbox-controller.securityContext={"allowPrivilegeEscalation":true,"readOnlyRootFilesystem":true}',
      '--set',
      'claim-controller.enabled=false,warmpool-orchestrator.enabled=false,ttl-reaper.enabled=false,admission-webhook.enabled=false,crds.enabled=false',
    ]);
    const accounts = loose.filter((o) => o.kind === 'ServiceAccount');
    expect((await kubectlWith(accounts, ['apply', '--server-side', '--field-manager=chart-test'])).code).toBe(0);
    const r = await kubectlWith(podsOf(loose), ['create', '--dry-run=server']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false/);
    const deployments = await dryRunApply(loose.filter((o) => o.kind === 'Deployment'));
    expect(deployments.stderr).toMatch(/would violate PodSecurity "restricted:latest"/);
  });
});
