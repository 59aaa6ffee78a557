import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { MAX_SLOTS, nodeAddresses } from './addresses.ts';
import { cniConflist, containerdConfig, kubeletConfig, kubeProxyConfig, POD_PIDS_LIMIT, REAL_NODE_TAINT } from './configs.ts';
import { nodeLayout } from './layout.ts';
import { realNodeWanted } from './prerequisites.ts';

describe('the real node address plan', () => {
  it('gives every slot its own ranges, names and link, none overlapping another slot or kwok', () => {
    const all = Array.from({ length: MAX_SLOTS }, (_, i) => nodeAddresses(i));
    for (const key of ['hostIp', 'nodeIp', 'podCidr', 'serviceCidr', 'dnsServiceIp', 'hostInterface', 'netns'] as const) {
      expect(new Set(all.map((a) => a[key])).size).toBe(MAX_SLOTS);
    }
    for (const a of all) {
      expect(a.hostInterface.length).toBeLessThanOrEqual(15); // IFNAMSIZ - 1
      expect(a.podCidr.startsWith('10.244.')).toBe(false); // kwok's simulated pods
      expect(a.dnsServiceIp.startsWith(a.serviceCidr.split('.').slice(0, 2).join('.') + '.')).toBe(true);
    }
    expect(() => nodeAddresses(MAX_SLOTS)).toThrow(/slot/);
  });
});

describe('the real node configuration', () => {
  const a = nodeAddresses(3);
  const layout = nodeLayout('/cache/clusters/x', a);

  it('runs a kubelet that authenticates every caller and authorizes with the API server', () => {
    const config = parse(kubeletConfig(a, layout, { kubeconfig: 'k', clientCaFile: 'ca', tlsCertFile: 'c', tlsPrivateKeyFile: 'key' }, 10248));
    expect(config.authentication).toMatchObject({ anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: 'ca' } });
    expect(config.authorization.mode).toBe('Webhook');
    expect(config.readOnlyPort).toBe(0);
    expect(config).toMatchObject({ address: a.nodeIp, clusterDNS: [a.dnsServiceIp], cgroupRoot: `/${a.netns}`, registerWithTaints: [REAL_NODE_TAINT] });
    expect(config.containerRuntimeEndpoint).toBe(`unix://${layout.containerdSocket}`);
    // A fork bomb in a Pod stops at the Pod's limit, not at the host's pid_max.
    expect(config.podPidsLimit).toBe(POD_PIDS_LIMIT);
  });

  it('keeps containerd, CNI and kube-proxy to the slot', () => {
    const toml = containerdConfig(layout, { cniBinDir: '/usr/lib/cni', pauseImage: 'p:1' });
    expect(toml).toContain(`address = "${layout.containerdSocket}"`);
    expect(toml).toContain('restrict_oom_score_adj = true');
    expect(toml).toContain('netns_mounts_under_state_dir = true');
    expect(toml).toContain('sandbox_image = "p:1"');
    const cni = JSON.parse(cniConflist(a, layout));
    expect(cni.name).toBe(layout.cniNetwork);
    expect(cni.plugins[0].ipam).toMatchObject({ dataDir: layout.cniIpamDir, ranges: [[{ subnet: a.podCidr, gateway: a.podGateway }]] });
    expect(parse(kubeProxyConfig(a, 'kc', { healthz: 1, metrics: 2 }))).toMatchObject({ mode: 'iptables', clusterCIDR: a.podCidr, conntrack: { maxPerCore: 0 } });
    expect(Buffer.byteLength(layout.containerdSocket)).toBeLessThan(108);
  });
});

describe('whether a run has a real node', () => {
  it('follows AGENT_SANDBOX_REAL_NODE, and refuses a value it does not know', () => {
    expect(realNodeWanted({ AGENT_SANDBOX_REAL_NODE: '1' })).toBe(true);
    expect(realNodeWanted({ AGENT_SANDBOX_REAL_NODE: '0' })).toBe(false);
    expect(realNodeWanted({ KUBECONFIG: '/k' })).toBe(false);
    expect(() => realNodeWanted({ AGENT_SANDBOX_REAL_NODE: 'yes' })).toThrow(/AGENT_SANDBOX_REAL_NODE=yes/);
  });
});
