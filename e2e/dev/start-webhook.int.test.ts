/**
 * npm start's admission: the webhook program registered as tools/dev/start.ts registers it
 * (deploy/webhook/'s configurations on a loopback URL, the caBundle patched by the program
 * itself), then called by the API server over TLS. Confined to a configuration name and a
 * namespace of this test's own, both removed at the end.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AdmissionregistrationV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { SANDBOX } from '@agent-sandbox/api';
import { installCrds } from '@agent-sandbox/api/crds';
import { freePort, registerLoopbackWebhooks, type LoopbackWebhooks } from '@agent-sandbox/controlplane';
import { createTestNamespace, testKubeConfig, type TestNamespace } from '@agent-sandbox/controlplane/testing';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { eventually, ROOT, startProgram, type ProgramProcess } from '../support/programs.ts';

const kc = testKubeConfig();
const name = `npm-start-webhook-${randomBytes(3).toString('hex')}`;
let ns: TestNamespace | undefined;
let webhooks: LoopbackWebhooks | undefined;
let webhook: ProgramProcess | undefined;

afterAll(async () => {
  await webhooks?.remove();
  await webhook?.stop();
  await ns?.remove();
});

type Stored = { spec: { podTemplate: { spec: Record<string, unknown> } } };

/** The message of the Status an API call was refused with. */
function statusMessage(err: { body?: unknown }): string {
  const status = (typeof err.body === 'string' ? JSON.parse(err.body) : err.body) as { message?: string } | undefined;
  return status?.message ?? String(err);
}

describe('the admission webhook of npm start', () => {
  it('is called by the API server over TLS, and its configurations go again on remove', async () => {
    await installCrds(kc);
    ns = await createTestNamespace('start-webhook', kc);
    const port = await freePort();
    webhooks = await registerLoopbackWebhooks(kc, join(ROOT, 'deploy', 'webhook', 'webhook-configurations.yaml'), {
      url: `https://127.0.0.1:${port}`,
      name,
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns.name } },
      fieldManager: 'start-webhook-test',
    });
    // As start.ts runs it, but with this test's port and configuration name (the admin's
    // kubeconfig: the program's ClusterRole may patch only the shipped configuration name).
    webhook = await startProgram('admission-webhook', [
      `--kubeconfig=${inject('kubeconfig')}`,
      `--bind-address=127.0.0.1:${port}`,
      '--health-probe-bind-address=127.0.0.1:0',
      `--webhook-configuration-name=${name}`,
    ]);
    const healthPort = webhook.healthPort;
    await eventually('the webhook ready (CA patched)', async () => (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status, (s) => s === 200, 20_000);

    const admission = kc.makeApiClient(AdmissionregistrationV1Api);
    const mutating = await admission.readMutatingWebhookConfiguration({ name });
    const validating = await admission.readValidatingWebhookConfiguration({ name });
    for (const hook of [...mutating.webhooks!, ...validating.webhooks!]) {
      expect(hook.clientConfig.url).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:${port}/(mutate|validate)$`));
      expect(hook.clientConfig.service).toBeUndefined();
      expect(hook.clientConfig.caBundle).toMatch(/^[A-Za-z0-9+/]+=*$/);
      expect(hook.failurePolicy).toBe('Fail');
    }
    expect(mutating.metadata!.annotations?.['cert-manager.io/inject-ca-from']).toBeUndefined();

    // Real creates in the test's namespace, so an API server that skipped the webhook would
    // store the privileged Sandbox and never default the plain one.
    const objects = kc.makeApiClient(CustomObjectsApi);
    const create = (spec: Record<string, unknown>) =>
      objects.createNamespacedCustomObject({
        group: SANDBOX.group,
        version: SANDBOX.version,
        namespace: ns!.name,
        plural: SANDBOX.plural,
        body: {
          apiVersion: SANDBOX.apiVersion,
          kind: SANDBOX.kind,
          metadata: { generateName: 'probe-' },
          spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'registry.example/agent:1' }], ...spec } } },
        },
      }) as Promise<Stored>;
    const refused = await eventually(
      'a privileged Sandbox refused by the webhook',
      () => create({ hostPID: true }).then(() => 'admitted', statusMessage),
      (answer) => answer.includes('admission webhook "validate.agents.x-k8s.io" denied the request'),
      20_000,
    );
    expect(refused).toContain('spec.podTemplate.spec.hostPID: Forbidden');
    const defaulted = await eventually(
      'a Sandbox defaulted by the webhook',
      () => create({}),
      (stored) => stored.spec.podTemplate.spec.automountServiceAccountToken === false,
      20_000,
    );
    expect(defaulted.spec.podTemplate.spec.securityContext).toMatchObject({ seccompProfile: { type: 'RuntimeDefault' } });
    // And the reviews were this program's: its own counters have them.
    const reviews = (await webhook.metrics()).split('\n').filter((l) => l.startsWith('agent_sandbox_webhook_reviews_total{') && l.includes('kind="Sandbox"'));
    expect(reviews.some((l) => l.includes('verdict="denied"'))).toBe(true);
    expect(reviews.some((l) => l.includes('verdict="patched"'))).toBe(true);

    // What npm start --keep-cluster does on stop: nothing is left to refuse admission.
    await webhooks.remove();
    const gone = (read: Promise<unknown>) => read.then(() => 200, (err: { code?: number }) => err.code);
    expect(await gone(admission.readMutatingWebhookConfiguration({ name }))).toBe(404);
    expect(await gone(admission.readValidatingWebhookConfiguration({ name }))).toBe(404);
  });
});
