/**
 * The model types are inferred from the schemas. These checks run under `npm run typecheck`
 * (each @ts-expect-error fails the build if the line stops being an error) and as a unit test.
 */
import { describe, expect, it } from 'vitest';
import type { Sandbox, SandboxClaim, SandboxTemplate, SandboxWarmPool } from '../index.ts';
import { SANDBOX_DEFAULTS, SANDBOX_TEMPLATE_DEFAULTS, SANDBOX_WARM_POOL_DEFAULTS } from './values.ts';

describe('inferred model types', () => {
  it('type required fields, enums and embedded Kubernetes types', () => {
    const sandbox: Sandbox = {
      apiVersion: 'agents.x-k8s.io/v1beta1',
      kind: 'Sandbox',
      metadata: { name: 's' },
      spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'python' }] } }, shutdownPolicy: 'Delete' },
    };
    // @ts-expect-error shutdownPolicy is an enum
    const badEnum: Sandbox['spec'] = { podTemplate: { spec: { containers: [] } }, shutdownPolicy: 'Never' };
    // @ts-expect-error podTemplate is required
    const missing: Sandbox['spec'] = { operatingMode: 'Running' };
    // @ts-expect-error containers[].name is a string (client-node's V1PodSpec)
    const badPod: SandboxTemplate['spec'] = { podTemplate: { spec: { containers: [{ name: 1 }] } } };
    // @ts-expect-error warmPoolRef is required
    const noRef: SandboxClaim['spec'] = {};
    const pool: SandboxWarmPool['spec'] = {
      sandboxTemplateRef: { name: 't' },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
    };
    expect([sandbox, badEnum, missing, badPod, noRef, pool]).toHaveLength(6);
  });

  it('export the defaults the CRDs apply', () => {
    expect(SANDBOX_DEFAULTS).toEqual({ shutdownPolicy: 'Retain', operatingMode: 'Running' });
    expect(SANDBOX_TEMPLATE_DEFAULTS).toEqual({ networkPolicyManagement: 'Managed', envVarsInjectionPolicy: 'Disallowed', volumeClaimTemplatesPolicy: 'Disallowed' });
    expect(SANDBOX_WARM_POOL_DEFAULTS).toEqual({ replicas: 1, updateStrategyType: 'OnReplenish' });
  });
});
