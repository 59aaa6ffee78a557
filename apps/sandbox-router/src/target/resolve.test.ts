import { describe, expect, it } from 'vitest';
import { isForbiddenAddress } from './address-rules.ts';
import { resolveTarget, type RoutedPod, type RoutedSandbox } from './resolve.ts';
import { parseTargetHeaders } from './target-headers.ts';

const sandbox = (ready: boolean, extra: Partial<RoutedSandbox['metadata']> = {}): RoutedSandbox => ({
  metadata: { name: 'sb', namespace: 'ns', uid: 'sb-uid', ...extra },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'DependenciesReady' : 'DependenciesNotReady', message: 'x' }] },
});
const pod = (ips: string[], options: { owner?: string; ready?: boolean; deleting?: boolean } = {}): RoutedPod => ({
  metadata: {
    name: 'sb',
    namespace: 'ns',
    uid: 'pod-uid',
    ...(options.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    ownerReferences: [{ apiVersion: 'agents.x-k8s.io/v1beta1', kind: 'Sandbox', name: 'sb', uid: options.owner ?? 'sb-uid', controller: true }],
  },
  status: { phase: 'Running', podIPs: ips.map((ip) => ({ ip })), conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True' }] },
});
const request = (hint?: string) => ({ name: 'sb', namespace: 'ns', port: 8888, timeoutMs: 0, ...(hint ? { podIPHint: hint } : {}) });

describe('resolveTarget', () => {
  it('routes to the Pod the Sandbox controls', () => {
    expect(resolveTarget(request(), sandbox(true), pod(['10.0.0.5']))).toEqual({ kind: 'ok', address: '10.0.0.5', port: 8888 });
  });

  it('takes the hint only when it is one of that Pod\'s addresses', () => {
    expect(resolveTarget(request('fd00::5'), sandbox(true), pod(['10.0.0.5', 'fd00::5']))).toMatchObject({ address: 'fd00::5' });
    expect(resolveTarget(request('10.9.9.9'), sandbox(true), pod(['10.0.0.5']))).toMatchObject({ address: '10.0.0.5' });
  });

  it.each([
    ['no Sandbox', undefined, pod(['10.0.0.5']), 'not-found'],
    ['a Sandbox not Ready', sandbox(false), pod(['10.0.0.5']), 'not-ready'],
    ['no Pod', sandbox(true), undefined, 'not-ready'],
    ['a Pod of another Sandbox (same name, other uid)', sandbox(true), pod(['10.0.0.5'], { owner: 'other' }), 'not-ready'],
    ['a Pod not Ready', sandbox(true), pod(['10.0.0.5'], { ready: false }), 'not-ready'],
    ['a terminating Pod', sandbox(true), pod(['10.0.0.5'], { deleting: true }), 'not-ready'],
    ['a Pod without an address', sandbox(true), pod([]), 'not-ready'],
    ['a Pod at a loopback address', sandbox(true), pod(['127.0.0.1']), 'bad-address'],
    ['a Pod at a link-local address', sandbox(true), pod(['169.254.169.254']), 'bad-address'],
  ] as const)('%s → %s', (_what, sb, p, kind) => {
    expect(resolveTarget(request(), sb, p).kind).toBe(kind);
  });
});

describe('isForbiddenAddress', () => {
  it.each(['127.0.0.1', '127.255.0.9', '::1', '169.254.1.1', 'fe80::1', '224.0.0.251', 'ff02::1', '0.0.0.0', '::', '::ffff:127.0.0.1', '255.255.255.255'])('refuses %s', (ip) => {
    expect(isForbiddenAddress(ip)).toBeDefined();
  });
  it.each(['10.0.0.1', '192.0.2.2', 'fd00::2', '2001:db8::1', '100.64.0.1'])('accepts %s', (ip) => {
    expect(isForbiddenAddress(ip)).toBeUndefined();
  });
});

describe('parseTargetHeaders', () => {
  it('applies the defaults', () => {
    expect(parseTargetHeaders({ 'x-sandbox-id': 'sb' })).toEqual({ name: 'sb', namespace: 'default', port: 8888, timeoutMs: 0 });
  });
  it('reads every header', () => {
    expect(parseTargetHeaders({ 'x-sandbox-id': 'sb', 'x-sandbox-namespace': 'team', 'x-sandbox-port': '9000', 'x-sandbox-timeout': '2.5', 'x-sandbox-pod-ip': '10.0.0.1' })).toEqual({
      name: 'sb',
      namespace: 'team',
      port: 9000,
      timeoutMs: 2500,
      podIPHint: '10.0.0.1',
    });
  });
  it.each([
    [{ 'x-sandbox-id': 'sb', 'x-sandbox-port': '8888x' }, 'X-Sandbox-Port'],
    [{ 'x-sandbox-id': 'sb', 'x-sandbox-timeout': 'soon' }, 'X-Sandbox-Timeout'],
    [{ 'x-sandbox-id': 'sb', 'x-sandbox-pod-ip': 'example.com' }, 'X-Sandbox-Pod-IP'],
    [{ 'x-sandbox-id': ['a', 'b'] }, 'X-Sandbox-ID'],
  ])('names the header in error: %j', (headers, header) => {
    expect(() => parseTargetHeaders(headers)).toThrow(new RegExp(`^${header}: `));
  });
});
