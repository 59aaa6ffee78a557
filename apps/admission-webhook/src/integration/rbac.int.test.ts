/**
 * apps/admission-webhook/rbac.yaml is enough for what the program does with the API (and is
 * checked by the real authorizer): read a pool, patch its own configurations' caBundle.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installCrds } from '@agent-sandbox/api/crds';
import { AdmissionregistrationV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, RbacAuthorizationV1Api, type V1ClusterRole } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { patchCaBundle } from '../kube/ca-bundle.ts';
import { claimTemplateLookup } from '../kube/claim-template.ts';
import { poolCeilingLookup } from '../kube/pool-ceiling.ts';
import { pool, RESOURCE_INFO, template } from '../testing/fixtures.ts';
import { DEFAULT_CONFIGURATION_NAME, webhookConfigurations } from '../webhook-config/configurations.ts';
import { testKubeConfig } from './harness.ts';

const kc = testKubeConfig();
const id = randomBytes(4).toString('hex');
const namespace = `webhook-rbac-${id}`;
const role = parse(readFileSync(join(import.meta.dirname, '../../rbac.yaml'), 'utf8')) as V1ClusterRole;
const roleName = `${role.metadata!.name}-${id}`;
const user = `system:serviceaccount:${namespace}:admission-webhook`;
const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
const admission = kc.makeApiClient(AdmissionregistrationV1Api);

afterAll(async () => {
  await rbac.deleteClusterRoleBinding({ name: roleName }).catch(() => undefined);
  await rbac.deleteClusterRole({ name: roleName }).catch(() => undefined);
  await admission.deleteMutatingWebhookConfiguration({ name: DEFAULT_CONFIGURATION_NAME }).catch(() => undefined);
  await admission.deleteValidatingWebhookConfiguration({ name: DEFAULT_CONFIGURATION_NAME }).catch(() => undefined);
  await kc.makeApiClient(CoreV1Api).deleteNamespace({ name: namespace }).catch(() => undefined);
});

describe('rbac.yaml', () => {
  it('lets the webhook read pools and patch its own configurations, and no others', async () => {
    await installCrds(kc);
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: namespace } } });
    await rbac.createClusterRole({ body: { ...role, metadata: { name: roleName } } });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: roleName },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
        subjects: [{ kind: 'ServiceAccount', name: 'admission-webhook', namespace }],
      },
    });
    // The configurations carry the production name; no namespace selects them (no-op for other tests).
    const [mutating, validating] = webhookConfigurations({
      endpoint: { url: 'https://127.0.0.1:1' },
      namespaceSelector: { matchLabels: { 'admission-webhook.test/never': id } },
    });
    await admission.createMutatingWebhookConfiguration({ body: mutating });
    await admission.createValidatingWebhookConfiguration({ body: validating });
    const { group, version, plural } = RESOURCE_INFO.sandboxwarmpools;
    await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({ group, version, namespace, plural, body: pool('capped', { replicas: 1, maxReplicas: 4 }) });

    const asWebhook = new KubeConfig();
    asWebhook.loadFromString(kc.exportConfig());
    const current = asWebhook.getCurrentUser()!;
    asWebhook.users = asWebhook.users.map((u) => (u.name === current.name ? { ...u, impersonateUser: user } : u));

    const lookup = poolCeilingLookup(asWebhook);
    const ca = Buffer.from('-----BEGIN CERTIFICATE-----\nrbac-test\n-----END CERTIFICATE-----\n').toString('base64');
    // The authorizer's cache may lag the binding by a moment.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        expect(await lookup(namespace, 'capped')).toBe(4);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(await lookup(namespace, 'missing')).toBe('not-found');
    // A claim's pool → template → pod metadata, read with the same rules.
    const tpl = RESOURCE_INFO.sandboxtemplates;
    await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: tpl.group,
      version: tpl.version,
      namespace,
      plural: tpl.plural,
      body: template('tpl', undefined, {}, { labels: { 'sandbox.users.io/tier': 'gold' } }),
    });
    expect(await claimTemplateLookup(asWebhook)(namespace, 'capped')).toEqual({ labels: { 'sandbox.users.io/tier': 'gold' } });
    expect(await claimTemplateLookup(asWebhook)(namespace, 'missing')).toBeUndefined();
    expect(await patchCaBundle(asWebhook, { kind: 'MutatingWebhookConfiguration', name: DEFAULT_CONFIGURATION_NAME }, ca)).toBe(true);
    expect(await patchCaBundle(asWebhook, { kind: 'ValidatingWebhookConfiguration', name: DEFAULT_CONFIGURATION_NAME }, ca)).toBe(true);
    expect((await admission.readValidatingWebhookConfiguration({ name: DEFAULT_CONFIGURATION_NAME })).webhooks![0]!.clientConfig.caBundle).toBe(ca);
    // Someone else's configuration is out of reach.
    await expect(patchCaBundle(asWebhook, { kind: 'ValidatingWebhookConfiguration', name: `other-${id}` }, ca)).rejects.toMatchObject({ code: 403 });
  });
});
