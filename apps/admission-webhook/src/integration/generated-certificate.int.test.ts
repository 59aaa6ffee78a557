/**
 * Without a certificate directory the webhook makes its own CA and certificate and writes the
 * CA into the caBundle of its webhook configurations, also when they appear after it started.
 */
import { randomBytes } from 'node:crypto';
import { installCrds } from '@agent-sandbox/api/crds';
import { AdmissionregistrationV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { createLogger } from '@agent-sandbox/telemetry';
import { afterAll, describe, expect, it } from 'vitest';
import { podSpec, RESOURCE_INFO, sandbox, testPolicy } from '../testing/fixtures.ts';
import { webhookConfigurations } from '../webhook-config/configurations.ts';
import { startWebhook, type RunningWebhook } from '../webhook.ts';
import { refusal, testKubeConfig } from './harness.ts';

const kc = testKubeConfig();
const admission = kc.makeApiClient(AdmissionregistrationV1Api);
const id = randomBytes(4).toString('hex');
const name = `admission-webhook-gen-${id}`;
const namespace = `webhook-gen-${id}`;
let webhook: RunningWebhook | undefined;

afterAll(async () => {
  await admission.deleteMutatingWebhookConfiguration({ name }).catch(() => undefined);
  await admission.deleteValidatingWebhookConfiguration({ name }).catch(() => undefined);
  await webhook?.stop();
  await kc.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace }).catch(() => undefined);
});

describe('a generated certificate', () => {
  it('patches its CA into configurations that appear later, and the API server then trusts it', async () => {
    await installCrds(kc);
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace, labels: { 'admission-webhook.test/run': id } } } });
    webhook = await startWebhook({
      bind: { host: '127.0.0.1', port: 0 },
      log: createLogger({ program: 'gen-test', level: 'silent' }),
      policy: testPolicy(),
      dnsNames: ['127.0.0.1'],
      kubeConfig: kc,
      caBundleTargets: [
        { kind: 'MutatingWebhookConfiguration', name },
        { kind: 'ValidatingWebhookConfiguration', name },
      ],
    });
    expect(webhook.caPem).toContain('BEGIN CERTIFICATE');
    expect(webhook.caBundlePatched()).toBe(false); // nothing to patch yet

    // Registered without a caBundle, as deploy/webhook/ ships them.
    const [mutating, validating] = webhookConfigurations({
      name,
      endpoint: { url: `https://127.0.0.1:${webhook.address.port}` },
      namespaceSelector: { matchLabels: { 'admission-webhook.test/run': id } },
    });
    await admission.createMutatingWebhookConfiguration({ body: mutating });
    await admission.createValidatingWebhookConfiguration({ body: validating });

    const deadline = Date.now() + 20_000;
    while (!webhook.caBundlePatched()) {
      if (Date.now() > deadline) throw new Error('caBundle not patched within 20 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const expected = Buffer.from(webhook.caPem!).toString('base64');
    expect((await admission.readMutatingWebhookConfiguration({ name })).webhooks![0]!.clientConfig.caBundle).toBe(expected);
    expect((await admission.readValidatingWebhookConfiguration({ name })).webhooks![0]!.clientConfig.caBundle).toBe(expected);

    // The API server reaches the webhook over TLS with that CA.
    const { group, version, plural } = RESOURCE_INFO.sandboxes;
    const objects = kc.makeApiClient(CustomObjectsApi);
    for (;;) {
      const answer = await refusal(
        objects.createNamespacedCustomObject({ group, version, namespace, plural, body: sandbox('gen', podSpec({ hostPID: true })), dryRun: 'All' }),
      ).catch(() => undefined);
      if (answer?.message.includes('admission webhook "validate.agents.x-k8s.io" denied the request: spec.podTemplate.spec.hostPID: Forbidden')) break;
      if (Date.now() > deadline) throw new Error(`API server did not reach the webhook: ${JSON.stringify(answer)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
