import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { webhookConfigurations } from './configurations.ts';
import { CONFIGURATIONS_FILE, renderWebhookConfigurations, WEBHOOK_DEPLOY_DIR } from './render.ts';

describe('deploy/webhook', () => {
  it('is what configurations.ts renders (run `npm run generate -w @agent-sandbox/admission-webhook` when this fails)', () => {
    expect(readFileSync(join(WEBHOOK_DEPLOY_DIR, CONFIGURATIONS_FILE), 'utf8')).toBe(renderWebhookConfigurations());
  });

  it('sets the safety fields on every webhook and covers the scale subresource', () => {
    const [mutating, validating] = webhookConfigurations({ endpoint: { url: 'https://127.0.0.1:1/' }, caBundle: 'Q0E=' });
    for (const hook of [...mutating.webhooks!, ...validating.webhooks!]) {
      expect(hook).toMatchObject({ sideEffects: 'None', matchPolicy: 'Equivalent', failurePolicy: 'Fail', admissionReviewVersions: ['v1'], timeoutSeconds: 5 });
      expect(hook.clientConfig.caBundle).toBe('Q0E=');
    }
    expect(mutating.webhooks![0]!.clientConfig.url).toBe('https://127.0.0.1:1/mutate');
    expect(validating.webhooks![0]!.rules!.flatMap((r) => r.resources)).toContain('sandboxwarmpools/scale');
  });
});
