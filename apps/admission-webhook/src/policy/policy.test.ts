import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFlags } from '@agent-sandbox/runtime';
import { createLogger } from '@agent-sandbox/telemetry';
import { afterEach, describe, expect, it } from 'vitest';
import { policyFromFlags, webhookFlags } from '../flags.ts';
import { overlayPolicyFile, PolicyError } from './policy-file.ts';
import { PolicySource } from './policy-source.ts';
import { defaultPolicy } from './policy.ts';

function flags(argv: string[]) {
  const parsed = parseFlags(webhookFlags, argv, {});
  if (parsed.kind !== 'run') throw new Error('expected run');
  return parsed.values;
}

describe('policy from flags', () => {
  it('has secure defaults and no limits requirement out of the box', () => {
    expect(policyFromFlags(flags([]))).toEqual(defaultPolicy());
  });

  it('reads every rule from flags', () => {
    const policy = policyFromFlags(
      flags([
        '--no-secure-pod-defaults',
        '--default-runtime-class=gvisor',
        '--runtime-class-by-namespace=ml=kata, ci=gvisor',
        '--allowed-runtime-classes=gvisor,kata',
        '--require-resource-limits',
        '--required-limits=memory',
        '--max-pool-replicas=7',
        '--shutdown-time-tolerance=2s',
        '--trusted-groups=ops',
      ]),
    );
    expect(policy.podDefaults).toEqual({
      disableServiceAccountTokenAutomount: false,
      seccompRuntimeDefault: false,
      disallowPrivilegeEscalation: false,
      dropAllCapabilities: false,
      runtimeClassName: 'gvisor',
      runtimeClassNameByNamespace: { ml: 'kata', ci: 'gvisor' },
    });
    expect(policy.podRules).toEqual({ allowedRuntimeClassNames: ['gvisor', 'kata'], requireResourceLimits: true, requiredLimits: ['memory'] });
    expect(policy.warmPools.maxReplicas).toBe(7);
    expect(policy.claims.shutdownTimeToleranceMs).toBe(2000);
    expect(policy.trusted.groups).toEqual(['ops']);
  });

  it('refuses a default runtime class the allow-list forbids, and a malformed namespace map', () => {
    expect(() => policyFromFlags(flags(['--default-runtime-class=runc', '--allowed-runtime-classes=gvisor']))).toThrow(
      'podDefaults.runtimeClassName is "runc", which podRules.allowedRuntimeClassNames (gvisor) does not allow',
    );
    expect(() => policyFromFlags(flags(['--runtime-class-by-namespace=ml']))).toThrow('entries must be namespace=class; got "ml"');
  });
});

describe('the policy file', () => {
  it('overrides the fields it sets and keeps the others', () => {
    const policy = overlayPolicyFile(defaultPolicy(), 'podRules:\n  requireResourceLimits: true\nwarmPools:\n  maxReplicas: 3\nclaims:\n  shutdownTimeTolerance: 1m\n');
    expect(policy.podRules.requireResourceLimits).toBe(true);
    expect(policy.podRules.requiredLimits).toEqual(['cpu', 'memory']);
    expect(policy.warmPools.maxReplicas).toBe(3);
    expect(policy.claims.shutdownTimeToleranceMs).toBe(60_000);
    expect(policy.podDefaults).toEqual(defaultPolicy().podDefaults);
  });

  it.each([
    ['podRules:\n  requireLimits: true\n', 'unknown field podRules.requireLimits (known: allowedRuntimeClassNames, requireResourceLimits, requiredLimits)'],
    ['pods: {}\n', 'unknown section "pods"'],
    ['warmPools:\n  maxReplicas: -1\n', 'warmPools.maxReplicas must be a whole number ≥ 0'],
    ['claims:\n  shutdownTimeTolerance: soon\n', 'claims.shutdownTimeTolerance must be a duration'],
    ['podRules:\n  allowedRuntimeClassNames: gvisor\n', 'podRules.allowedRuntimeClassNames must be a list of strings'],
    ['[1, 2]', 'must be a map of sections'],
    ['a: [', 'not valid YAML or JSON'],
    ['podDefaults:\n  runtimeClassName: runc\npodRules:\n  allowedRuntimeClassNames: [gvisor]\n', 'podDefaults.runtimeClassName is "runc"'],
  ])('refuses %j', (text, reason) => {
    expect(() => overlayPolicyFile(defaultPolicy(), text)).toThrow(PolicyError);
    expect(() => overlayPolicyFile(defaultPolicy(), text)).toThrow(reason);
  });
});

describe('PolicySource', () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('reloads a changed file, and keeps the last good policy when the file turns bad', async () => {
    dir = mkdtempSync(join(tmpdir(), 'policy-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, 'warmPools:\n  maxReplicas: 5\n');
    const reloads: string[] = [];
    const source = new PolicySource({
      base: defaultPolicy(),
      file,
      intervalMs: 60_000,
      log: createLogger({ program: 'test', level: 'silent' }),
      onReload: (r) => reloads.push(r),
    });
    await source.start();
    try {
      expect(source.current().warmPools.maxReplicas).toBe(5);
      writeFileSync(file, 'warmPools:\n  maxReplicas: 6\n');
      await source.check();
      expect(source.current().warmPools.maxReplicas).toBe(6);
      writeFileSync(file, 'warmPools:\n  maxReplicas: lots\n');
      await source.check();
      expect(source.current().warmPools.maxReplicas).toBe(6);
      expect(reloads).toEqual(['success', 'failure']);
    } finally {
      source.close();
    }
  });

  it('refuses to start with a bad file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'policy-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, 'nonsense: true\n');
    const source = new PolicySource({ base: defaultPolicy(), file, intervalMs: 60_000, log: createLogger({ program: 'test', level: 'silent' }) });
    await expect(source.start()).rejects.toThrow('unknown section "nonsense"');
  });
});
