import { describe, expect, it } from 'vitest';
import type { KubeObject } from './kinds/meta.ts';
import { controllerOf, controllerRef, isControlledBy, withControllerRef } from './ownership.ts';

const pool = { apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxWarmPool', metadata: { name: 'pool', uid: 'uid-pool' } };
const claim = { apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxClaim', metadata: { name: 'claim', uid: 'uid-claim' } };

describe('controllerRef', () => {
  it('builds a controller reference that blocks owner deletion by default', () => {
    expect(controllerRef(pool)).toEqual({
      apiVersion: 'extensions.agents.x-k8s.io/v1beta1',
      kind: 'SandboxWarmPool',
      name: 'pool',
      uid: 'uid-pool',
      controller: true,
      blockOwnerDeletion: true,
    });
    expect(controllerRef(pool, { blockOwnerDeletion: false }).blockOwnerDeletion).toBe(false);
  });

  it('refuses an owner without a uid (one not read from the server)', () => {
    expect(() => controllerRef({ ...pool, metadata: { name: 'pool' } })).toThrow(/uid/);
  });
});

describe('controllerOf / isControlledBy', () => {
  const sandbox: KubeObject = {
    metadata: {
      name: 's',
      ownerReferences: [
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'other', uid: 'uid-other' },
        controllerRef(pool),
      ],
    },
  };

  it('finds the one reference with controller: true', () => {
    expect(controllerOf(sandbox)?.uid).toBe('uid-pool');
    expect(controllerOf({ metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u', controller: false }] } })).toBeUndefined();
    expect(controllerOf({ metadata: {} })).toBeUndefined();
  });

  it('compares by uid', () => {
    expect(isControlledBy(sandbox, pool)).toBe(true);
    expect(isControlledBy(sandbox, claim)).toBe(false);
    expect(isControlledBy(sandbox, { metadata: {} })).toBe(false);
    // A plain owner reference is not control.
    expect(isControlledBy(sandbox, { metadata: { uid: 'uid-other' } })).toBe(false);
  });

  it('hands control over, keeping other owners', () => {
    const refs = withControllerRef(sandbox, controllerRef(claim));
    expect(refs.filter((r) => r.controller)).toEqual([controllerRef(claim)]);
    expect(refs.map((r) => r.uid).sort()).toEqual(['uid-claim', 'uid-other']);
  });
});
