/**
 * The CRDs against a real API server: valid objects accepted and defaulted, invalid ones
 * refused with the field path, the Sandbox's volumeClaimTemplates immutable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiSuite, claim, expectRejected, FIELD_MANAGER, sandbox, template, warmPool, type ApiSuite } from './support.ts';

const write = { fieldManager: FIELD_MANAGER };
const pvc = (name: string, storage = '1Gi') => ({
  metadata: { name },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage } } },
});

let suite: ApiSuite;
let ns: string;
beforeAll(async () => {
  suite = await apiSuite('api-crd');
  ns = suite.ns.name;
});
afterAll(async () => {
  await suite?.ns.remove();
});

describe('valid objects are accepted and defaulted', () => {
  it('Sandbox: shutdownPolicy Retain, operatingMode Running', async () => {
    const created = await suite.clients.sandboxes.create(sandbox(ns, 'defaults'), write);
    expect(created.spec.shutdownPolicy).toBe('Retain');
    expect(created.spec.operatingMode).toBe('Running');
    // The embedded PodSpec schema defaults a list-map key the way a Pod does.
    expect(created.spec.podTemplate.spec.containers[0]!.ports![0]!.protocol).toBe('TCP');
  });

  it('SandboxTemplate: networkPolicyManagement Managed, both claim policies Disallowed', async () => {
    const created = await suite.clients.templates.create(template(ns, 'defaults'), write);
    expect(created.spec.networkPolicyManagement).toBe('Managed');
    expect(created.spec.envVarsInjectionPolicy).toBe('Disallowed');
    expect(created.spec.volumeClaimTemplatesPolicy).toBe('Disallowed');
  });

  it('SandboxWarmPool: replicas 1, updateStrategy.type OnReplenish', async () => {
    const created = await suite.clients.warmPools.create(warmPool(ns, 'defaults'), write);
    expect(created.spec.replicas).toBe(1);
    expect(created.spec.updateStrategy?.type).toBe('OnReplenish');
  });

  it('SandboxClaim: lifecycle.shutdownPolicy Retain when a lifecycle is given', async () => {
    const created = await suite.clients.claims.create(claim(ns, 'defaults', { lifecycle: { ttlSecondsAfterFinished: 60 } }), write);
    expect(created.spec.lifecycle?.shutdownPolicy).toBe('Retain');
    expect(created.spec.warmPoolRef.name).toBe('pool');
  });

  it('accepts the [ext] fields: template status, rolling update, maxReplicas', async () => {
    const pool = await suite.clients.warmPools.create(
      warmPool(ns, 'rolling', { replicas: 2, maxReplicas: 10, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } } }),
      write,
    );
    expect(pool.spec.updateStrategy?.rollingUpdate).toEqual({ maxSurge: '25%', maxUnavailable: 1 });
    await suite.clients.templates.create(template(ns, 'with-status'), write);
    const withStatus = await suite.clients.templates.mergePatchStatus(ns, 'with-status', { status: { observedGeneration: 1 } }, write);
    expect(withStatus.status?.observedGeneration).toBe(1);
  });
});

describe('invalid objects are refused with the field path', () => {
  it('invalid enums', async () => {
    await expectRejected(
      suite.clients.sandboxes.create(sandbox(ns, 'bad-enum', { shutdownPolicy: 'Never' as 'Retain' }), write),
      422,
      'spec.shutdownPolicy',
      'Unsupported value: "Never"',
    );
    await expectRejected(
      suite.clients.sandboxes.create(sandbox(ns, 'bad-mode', { operatingMode: 'Paused' as 'Running' }), write),
      422,
      'spec.operatingMode',
    );
    await expectRejected(
      suite.clients.templates.create(template(ns, 'bad-policy', { envVarsInjectionPolicy: 'Sometimes' as 'Allowed' }), write),
      422,
      'spec.envVarsInjectionPolicy',
    );
    await expectRejected(
      suite.clients.warmPools.create(warmPool(ns, 'bad-strategy', { updateStrategy: { type: 'Eventually' as 'Recreate' } }), write),
      422,
      'spec.updateStrategy.type',
    );
    await expectRejected(
      suite.clients.claims.create(claim(ns, 'bad-shutdown', { lifecycle: { shutdownPolicy: 'Later' as 'Delete' } }), write),
      422,
      'spec.lifecycle.shutdownPolicy',
    );
  });

  it('missing required fields', async () => {
    const noTemplate = sandbox(ns, 'no-pod-template');
    delete (noTemplate.spec as Partial<typeof noTemplate.spec>).podTemplate;
    await expectRejected(suite.clients.sandboxes.create(noTemplate, write), 422, 'spec.podTemplate', 'Required value');

    const noSpec = sandbox(ns, 'no-pod-spec', { podTemplate: {} as never });
    await expectRejected(suite.clients.sandboxes.create(noSpec, write), 422, 'spec.podTemplate.spec', 'Required value');

    const noRef = warmPool(ns, 'no-ref');
    delete (noRef.spec as Partial<typeof noRef.spec>).sandboxTemplateRef;
    await expectRejected(suite.clients.warmPools.create(noRef, write), 422, 'spec.sandboxTemplateRef', 'Required value');

    await expectRejected(
      suite.clients.claims.create(claim(ns, 'no-pool-name', { warmPoolRef: {} as { name: string } }), write),
      422,
      'spec.warmPoolRef.name',
      'Required value',
    );
    // A container needs a name: the API server's own PodSpec rules, inside our CRD.
    await expectRejected(
      suite.clients.sandboxes.create(sandbox(ns, 'no-container-name', { podTemplate: { spec: { containers: [{ image: 'x' } as never] } } }), write),
      422,
      'spec.podTemplate.spec.containers[0].name',
      'Required value',
    );
  });

  it('negative replicas', async () => {
    await expectRejected(
      suite.clients.warmPools.create(warmPool(ns, 'negative', { replicas: -1 }), write),
      422,
      'spec.replicas',
      'greater than or equal to 0',
    );
  });

  it('[ext] replicas above the pool\'s own maxReplicas, also through the scale subresource', async () => {
    await expectRejected(
      suite.clients.warmPools.create(warmPool(ns, 'capped', { replicas: 5, maxReplicas: 3 }), write),
      422,
      'spec.replicas',
      'replicas must not exceed maxReplicas',
    );
    await suite.clients.warmPools.create(warmPool(ns, 'capped', { replicas: 3, maxReplicas: 3 }), write);
    await expectRejected(suite.clients.warmPools.patchScale(ns, 'capped', 4, write), 422, 'replicas must not exceed maxReplicas');
  });

  it('a wrong type inside podTemplate.spec', async () => {
    const bad = sandbox(ns, 'bad-port', {
      podTemplate: { spec: { containers: [{ name: 'main', image: 'x', ports: [{ containerPort: 'abc' as unknown as number }] }] } },
    });
    await expectRejected(suite.clients.sandboxes.create(bad, write), 422, 'spec.podTemplate.spec.containers[0].ports[0].containerPort', 'integer');
    const badQuantity = sandbox(ns, 'bad-quantity', {
      podTemplate: { spec: { containers: [{ name: 'm', image: 'x', resources: { requests: { cpu: 'lots' } } }] } },
    });
    await expectRejected(suite.clients.sandboxes.create(badQuantity, write), 422, 'spec.podTemplate.spec.containers[0].resources.requests.cpu');
  });

  it('a wrong type inside a PVC spec and a NetworkPolicy rule', async () => {
    await expectRejected(
      suite.clients.sandboxes.create(
        sandbox(ns, 'bad-pvc', { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: 'ReadWriteOnce' as unknown as string[] } }] }),
        write,
      ),
      422,
      'spec.volumeClaimTemplates[0].spec.accessModes',
    );
    await expectRejected(
      suite.clients.templates.create(template(ns, 'bad-netpol', { networkPolicy: { ingress: [{ ports: [{ port: { number: 80 } as unknown as number }] }] } }), write),
      422,
      'spec.networkPolicy.ingress[0].ports[0].port',
    );
  });

  it('unknown fields are refused under strict field validation, even deep in the pod spec', async () => {
    // client-node asks for no field validation by default; kubectl asks for Strict. Pruning
    // proves the schema knows every field (no preserve-unknown-fields hole).
    const created = await suite.clients.sandboxes.create(
      sandbox(ns, 'pruned', { podTemplate: { spec: { containers: [{ name: 'm', image: 'x', notAField: true } as never] } } }),
      write,
    );
    expect(created.spec.podTemplate.spec.containers[0]).not.toHaveProperty('notAField');
    await expectRejected(
      suite.clients.sandboxes.create(
        sandbox(ns, 'strict', { podTemplate: { spec: { containers: [{ name: 'm', image: 'x', notAField: true } as never] } } }),
        { ...write, fieldValidation: 'Strict' },
      ),
      400,
      'unknown field "spec.podTemplate.spec.containers[0].notAField"',
    );
  });
});

describe('what the standard stores, the CRDs store', () => {
  it('values outside the enums of the embedded Kubernetes types (the API server refuses the Pod, not the Sandbox)', async () => {
    const odd = await suite.clients.templates.create(
      template(ns, 'odd-values', {
        podTemplate: { spec: { restartPolicy: 'Sometimes', containers: [{ name: 'm', image: 'x', imagePullPolicy: 'Sometimes', ports: [{ containerPort: 80, protocol: 'QUIC' }] }] } },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['WriteSometimes'], volumeMode: 'Odd' } }],
      }),
      write,
    );
    expect(odd.spec.podTemplate.spec.restartPolicy).toBe('Sometimes');
    expect(odd.spec.volumeClaimTemplates?.[0]?.spec.accessModes).toEqual(['WriteSometimes']);
  });

  it('names the standard gives no rule: empty pool and template names, empty or repeated volume claim template names, an unnamed env var', async () => {
    await suite.clients.claims.create(
      claim(ns, 'odd-names', { warmPoolRef: { name: '' }, env: [{ name: '', value: 'x' }], volumeClaimTemplates: [pvc(''), pvc('Not_A_DNS_Label'), pvc('Not_A_DNS_Label')] }),
      write,
    );
    await suite.clients.warmPools.create(warmPool(ns, 'odd-names', { sandboxTemplateRef: { name: '' } }), write);
    await suite.clients.sandboxes.create(sandbox(ns, 'odd-names', { volumeClaimTemplates: [pvc('x'.repeat(80))] }), write);
  });
});

describe('a Sandbox\'s volumeClaimTemplates are immutable', () => {
  it('refuses changing, removing, and adding them after creation', async () => {
    const sandboxes = suite.clients.sandboxes;
    await sandboxes.create(sandbox(ns, 'vct', { volumeClaimTemplates: [pvc('data')] }), write);
    await expectRejected(
      sandboxes.mergePatch(ns, 'vct', { spec: { volumeClaimTemplates: [pvc('data', '2Gi')] } }, write),
      422,
      'volumeClaimTemplates is immutable',
    );
    await expectRejected(sandboxes.mergePatch(ns, 'vct', { spec: { volumeClaimTemplates: null } }, write), 422, 'volumeClaimTemplates is immutable');
    // Other fields still change.
    const suspended = await sandboxes.mergePatch(ns, 'vct', { spec: { operatingMode: 'Suspended' } }, write);
    expect(suspended.spec.operatingMode).toBe('Suspended');

    await sandboxes.create(sandbox(ns, 'vct-later'), write);
    await expectRejected(
      sandboxes.mergePatch(ns, 'vct-later', { spec: { volumeClaimTemplates: [pvc('data')] } }, write),
      422,
      'spec.volumeClaimTemplates',
      'volumeClaimTemplates is immutable',
    );
    await expectRejected(sandboxes.mergePatch(ns, 'vct-later', { spec: { volumeClaimTemplates: [] } }, write), 422, 'volumeClaimTemplates is immutable');
    expect((await sandboxes.mergePatch(ns, 'vct-later', { spec: { operatingMode: 'Suspended' } }, write)).spec.volumeClaimTemplates).toBeUndefined();
  });

  it('leaves a template\'s volumeClaimTemplates mutable', async () => {
    await suite.clients.templates.create(template(ns, 'vct', { volumeClaimTemplates: [pvc('data')] }), write);
    const changed = await suite.clients.templates.mergePatch(ns, 'vct', { spec: { volumeClaimTemplates: [pvc('data', '5Gi')] } }, write);
    expect(changed.spec.volumeClaimTemplates?.[0]?.spec.resources?.requests?.storage).toBe('5Gi');
  });

  it('[ext] refuses changing a claim\'s warmPoolRef', async () => {
    await suite.clients.claims.create(claim(ns, 'fixed-pool'), write);
    await expectRejected(
      suite.clients.claims.mergePatch(ns, 'fixed-pool', { spec: { warmPoolRef: { name: 'other' } } }, write),
      422,
      'spec.warmPoolRef',
      'warmPoolRef is immutable',
    );
  });
});
