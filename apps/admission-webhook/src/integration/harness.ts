/**
 * An in-process webhook registered with the run's real API server: certificates in a temp
 * directory (so they can be rotated), webhook configurations scoped to one test namespace by
 * a label, all removed again by `close`.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installCrds } from '@agent-sandbox/api/crds';
import { AdmissionregistrationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, type ApiException } from '@kubernetes/client-node';
import { createLogger, Registry } from '@agent-sandbox/telemetry';
import { inject } from 'vitest';
import type { Policy } from '../policy/policy.ts';
import { RESOURCE_INFO, sandbox, podSpec, type TestResource } from '../testing/fixtures.ts';
import { createCertificateAuthority, type CertificateAuthority } from '../tls/generate.ts';
import type { JsonRecord } from '../util/json.ts';
import { webhookConfigurations } from '../webhook-config/configurations.ts';
import { startWebhook, type RunningWebhook } from '../webhook.ts';

export function testKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(inject('kubeconfig'));
  return kc;
}

export interface Harness {
  kc: KubeConfig;
  namespace: string;
  webhook: RunningWebhook;
  ca: CertificateAuthority;
  certDir: string;
  registry: Registry;
  objects: CustomObjectsApi;
  /** Creates `object` in the test namespace; resolves to the stored object. */
  create(resource: TestResource, object: JsonRecord, options?: { dryRun?: boolean; kc?: KubeConfig }): Promise<JsonRecord>;
  /** Writes a new serving certificate into the directory, as a Secret update would. */
  writeCertificate(mode: 'atomic' | 'in-place'): Promise<void>;
  close(): Promise<void>;
}

export interface RefusalInfo {
  code: number;
  message: string;
}

/** The status code and message of a refused API call (throws when the call was not refused). */
export async function refusal(call: Promise<unknown>): Promise<RefusalInfo> {
  try {
    await call;
  } catch (err) {
    const e = err as ApiException<unknown>;
    if (typeof e.code !== 'number') throw err;
    const body = typeof e.body === 'string' ? (JSON.parse(e.body) as { message?: string }) : (e.body as { message?: string });
    return { code: e.code, message: body?.message ?? String(e.body) };
  }
  throw new Error('the API server admitted a request that should have been refused');
}

export async function startHarness(prefix: string, policy: Policy): Promise<Harness> {
  const kc = testKubeConfig();
  await installCrds(kc);
  const id = randomBytes(4).toString('hex');
  const namespace = `${prefix}-${id}`;
  const selectorLabel = 'admission-webhook.test/run';
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace, labels: { [selectorLabel]: id } } } });

  const ca = await createCertificateAuthority();
  const certDir = mkdtempSync(join(tmpdir(), 'webhook-certs-'));
  // The layout of a Secret volume: tls.crt -> ..data/tls.crt, ..data -> ..<version>/.
  let version = 0;
  const writeVersion = async () => {
    const dir = `..v${++version}`;
    mkdirSync(join(certDir, dir));
    const leaf = await ca.issue(['127.0.0.1', 'localhost']);
    writeFileSync(join(certDir, dir, 'tls.key'), leaf.keyPem);
    writeFileSync(join(certDir, dir, 'tls.crt'), leaf.certPem);
    symlinkSync(dir, join(certDir, '..data_tmp'));
    renameSync(join(certDir, '..data_tmp'), join(certDir, '..data')); // the atomic swap
  };
  await writeVersion();
  symlinkSync('..data/tls.crt', join(certDir, 'tls.crt'));
  symlinkSync('..data/tls.key', join(certDir, 'tls.key'));

  const registry = new Registry();
  const webhook = await startWebhook({
    bind: { host: '127.0.0.1', port: 0 },
    log: createLogger({ program: 'admission-webhook-test', level: process.env.WEBHOOK_TEST_LOG ? 'debug' : 'silent' }),
    registry,
    policy,
    certDir,
    reloadIntervalMs: 250,
    kubeConfig: kc,
  });

  const admission = kc.makeApiClient(AdmissionregistrationV1Api);
  const configName = `admission-webhook-test-${id}`;
  const [mutating, validating] = webhookConfigurations({
    name: configName,
    endpoint: { url: `https://127.0.0.1:${webhook.address.port}` },
    caBundle: Buffer.from(ca.caPem).toString('base64'),
    namespaceSelector: { matchLabels: { [selectorLabel]: id } },
    timeoutSeconds: 10,
  });
  await admission.createMutatingWebhookConfiguration({ body: mutating });
  await admission.createValidatingWebhookConfiguration({ body: validating });

  const objects = kc.makeApiClient(CustomObjectsApi);
  const create: Harness['create'] = async (resource, object, options = {}) => {
    const info = RESOURCE_INFO[resource as keyof typeof RESOURCE_INFO];
    const api = options.kc ? options.kc.makeApiClient(CustomObjectsApi) : objects;
    return (await api.createNamespacedCustomObject({
      group: info.group,
      version: info.version,
      namespace,
      plural: info.plural,
      body: object,
      ...(options.dryRun ? { dryRun: 'All' } : {}),
    })) as JsonRecord;
  };

  // The API server picks up new webhook configurations asynchronously: wait until a
  // privileged sandbox is refused by our webhook (and a claim is mutated) before testing.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const probe = sandbox(`probe-${Date.now()}`, podSpec({ hostPID: true }));
    const answer = await refusal(create('sandboxes', probe, { dryRun: true })).catch(() => undefined);
    if (answer?.message.includes('admission webhook "validate.agents.x-k8s.io" denied the request')) break;
    if (Date.now() > deadline) throw new Error(`webhook not called by the API server within 30 s: ${JSON.stringify(answer)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // The mutating configuration is read by a separate informer: wait for it too.
  for (;;) {
    const stored = await create('sandboxes', sandbox(`probe-m-${Date.now()}`), { dryRun: true });
    const spec = ((stored.spec as JsonRecord).podTemplate as JsonRecord).spec as JsonRecord;
    if (spec.automountServiceAccountToken === false) break;
    if (Date.now() > deadline) throw new Error('mutating webhook not called by the API server within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    kc,
    namespace,
    webhook,
    ca,
    certDir,
    registry,
    objects,
    create,
    async writeCertificate(mode) {
      if (mode === 'atomic') return writeVersion();
      // A careless writer: the key first, then the certificate, through the links.
      const leaf = await ca.issue(['127.0.0.1', 'localhost']);
      writeFileSync(join(certDir, 'tls.key'), leaf.keyPem);
      await new Promise((r) => setTimeout(r, 50));
      writeFileSync(join(certDir, 'tls.crt'), leaf.certPem);
    },
    async close() {
      await admission.deleteMutatingWebhookConfiguration({ name: configName }).catch(() => undefined);
      await admission.deleteValidatingWebhookConfiguration({ name: configName }).catch(() => undefined);
      await webhook.stop();
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
      rmSync(certDir, { recursive: true, force: true });
    },
  };
}
