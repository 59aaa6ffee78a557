import { describe, expect, it } from 'vitest';
import { loopbackWebhookConfigurations } from './loopback-webhooks.ts';

const MANIFESTS = `# shipped for a cluster
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: shipped
  labels: { app: hook }
  annotations:
    cert-manager.io/inject-ca-from: system/hook
webhooks:
  - name: mutate.example.com
    clientConfig:
      service: { namespace: system, name: hook, port: 443, path: /mutate }
    failurePolicy: Fail
    namespaceSelector: { matchExpressions: [{ key: opt-out, operator: DoesNotExist }] }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: unrelated }
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: shipped
  annotations: { cert-manager.io/inject-ca-from: system/hook, note: kept }
webhooks:
  - name: validate.example.com
    clientConfig:
      service: { namespace: system, name: hook, port: 443, path: /validate }
      caBundle: Q0E=
    failurePolicy: Fail
`;

describe('loopbackWebhookConfigurations', () => {
  it('points every webhook at the URL plus its Service path and keeps the rest as shipped', () => {
    const [mutating, validating, ...rest] = loopbackWebhookConfigurations(MANIFESTS, { url: 'https://127.0.0.1:18443/' });
    expect(rest).toEqual([]);
    expect(mutating).toEqual({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'shipped', labels: { app: 'hook' } },
      webhooks: [
        {
          name: 'mutate.example.com',
          clientConfig: { url: 'https://127.0.0.1:18443/mutate' },
          failurePolicy: 'Fail',
          namespaceSelector: { matchExpressions: [{ key: 'opt-out', operator: 'DoesNotExist' }] },
        },
      ],
    });
    expect(validating!.metadata.annotations).toEqual({ note: 'kept' });
    expect(validating!.webhooks![0]!.clientConfig).toEqual({ url: 'https://127.0.0.1:18443/validate', caBundle: 'Q0E=' });
  });

  it('renames the configurations and replaces the namespaceSelector when asked', () => {
    const selector = { matchLabels: { 'kubernetes.io/metadata.name': 'mine' } };
    const objects = loopbackWebhookConfigurations(MANIFESTS, { url: 'https://127.0.0.1:1', name: 'test-hook', namespaceSelector: selector });
    expect(objects.map((o) => o.metadata.name)).toEqual(['test-hook', 'test-hook']);
    expect(objects.flatMap((o) => o.webhooks!.map((w) => w.namespaceSelector))).toEqual([selector, selector]);
  });

  it('refuses a webhook that has no Service endpoint to replace', () => {
    const manifests = MANIFESTS.replace('service: { namespace: system, name: hook, port: 443, path: /mutate }', 'url: https://elsewhere/mutate');
    expect(() => loopbackWebhookConfigurations(manifests, { url: 'https://127.0.0.1:1' })).toThrow(/mutate\.example\.com .* no Service endpoint/);
  });
});
