import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ControlPlane } from '../cluster.ts';
import { realNodePod, testImages, waitForPodReady } from '../testing/real-node.ts';
import { nodeAddresses } from './addresses.ts';
import { cgroupPids, containerIds, mountsUnder, netnsExists, shimSocket } from './host.ts';
import { slotOwner } from './slots.ts';

/** Live (not zombie: init reaps those) processes whose command line or cwd names `dir`. */
function processesOf(dir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function ipOutput(...args: string[]): string {
  return spawnSync('ip', args, { encoding: 'utf8' }).stdout;
}

describe('a cluster with a real node', () => {
  it('leaves nothing behind after down: no process, mount, cgroup, namespace, link, route, socket or folder', async () => {
    const name = `teardown-${process.pid}`;
    const cp = await ControlPlane.up({ name, ownerPid: process.pid, nodes: 1, realNode: true });
    const node = cp.realNode!;
    const a = node.addresses;
    const core = cp.kubeConfig().makeApiClient(CoreV1Api);
    let containers: ReturnType<typeof containerIds> | undefined;
    try {
      // A second real node beside the test run's own: its own slot, ranges and names.
      expect(slotOwner(a.slot)).toBe(name);
      // A Pod with the kinds of mounts a kubelet makes (a secret's tmpfs, an emptyDir, the
      // projected token) and a Service, so iptables rules, a bridge and a netns all exist.
      await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 's' }, stringData: { k: 'v' } } });
      await core.createNamespacedPod({
        namespace: 'default',
        body: realNodePod('p', [{ name: 'c', image: testImages().agnhost, args: ['pause'], volumeMounts: [{ name: 's', mountPath: '/s' }, { name: 'e', mountPath: '/e' }] }], {
          volumes: [{ name: 's', secret: { secretName: 's' } }, { name: 'e', emptyDir: { medium: 'Memory' } }],
        }, { app: 'p' }),
      });
      await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'p' }, spec: { selector: { app: 'p' }, ports: [{ port: 80 }] } } });
      await waitForPodReady('default', 'p', 60_000, cp.kubeConfig());
      expect(cgroupPids(node.layout.cgroup).length).toBeGreaterThan(3);
      expect(mountsUnder([node.layout.dir, node.layout.runDir]).length).toBeGreaterThan(2);
      containers = containerIds(node.layout);
      expect(containers.filter((c) => existsSync(shimSocket(node.layout, c.namespace, c.id))).length).toBeGreaterThan(0);
    } finally {
      await cp.down();
    }

    expect(processesOf(cp.dir)).toEqual([]);
    expect(cgroupPids(node.layout.cgroup)).toEqual([]);
    expect(mountsUnder([cp.dir, node.layout.runDir])).toEqual([]);
    expect(readdirSync('/sys/fs/cgroup').filter((h) => existsSync(join('/sys/fs/cgroup', h, node.layout.cgroup)))).toEqual([]);
    expect(netnsExists(a.netns)).toBe(false);
    expect(existsSync(`/sys/class/net/${a.hostInterface}`)).toBe(false);
    expect(ipOutput('route').split('\n').filter((r) => r.startsWith(a.podCidr) || r.startsWith(a.serviceCidr))).toEqual([]);
    expect(existsSync(node.layout.runDir)).toBe(false);
    expect((containers ?? []).filter((c) => existsSync(shimSocket(node.layout, c.namespace, c.id)))).toEqual([]);
    expect(existsSync(cp.dir)).toBe(false);
    expect(slotOwner(a.slot)).toBeUndefined();
    for (const dir of ['/var/lib/cni/results', '/var/log/containers']) {
      const left = existsSync(dir) ? readdirSync(dir) : [];
      expect(left.filter((f) => f.startsWith(`${node.layout.cniNetwork}-`) || f.startsWith('p_default_'))).toEqual([]);
    }
    expect(nodeAddresses(a.slot).netns).toBe(a.netns);
  });
});
