/** CRD installation: server-side apply, idempotent, safe when several processes install at once. */
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import { CRD_FIELD_MANAGER, customResourceDefinitions, installCrds } from '@agent-sandbox/api/crds';
import { testKubeConfig } from '@agent-sandbox/controlplane/testing';
import { describe, expect, it } from 'vitest';

describe('installCrds', () => {
  it('installs all four CRDs concurrently and idempotently under one field manager', async () => {
    const kc = testKubeConfig();
    await Promise.all([installCrds(kc), installCrds(kc), installCrds(kc)]);
    const api = kc.makeApiClient(ApiextensionsV1Api);
    const read = () => Promise.all(customResourceDefinitions().map((crd) => api.readCustomResourceDefinition({ name: crd.metadata.name })));
    const before = await read();
    for (const crd of before) {
      const appliers = (crd.metadata?.managedFields ?? []).filter((f) => f.operation === 'Apply').map((f) => f.manager);
      expect(appliers).toEqual([CRD_FIELD_MANAGER]);
      expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    }
    // Applying the same content again changes nothing: no new resourceVersion, no new generation.
    await installCrds(kc);
    const after = await read();
    expect(after.map((c) => [c.metadata?.resourceVersion, c.metadata?.generation])).toEqual(
      before.map((c) => [c.metadata?.resourceVersion, c.metadata?.generation]),
    );
  });
});
