import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeAddresses } from './addresses.ts';
import type { NodeLayout } from './layout.ts';

/**
 * What a real node changes on the host, and how every change is undone. Nothing here is left
 * behind by `down`: the network namespace takes the bridge, the pod network and kube-proxy's
 * chains with it; the veth (and with it the host routes) goes with the namespace; the cgroups,
 * mounts, sockets and caches are removed by name.
 */

function run(cmd: string, args: string[]): string {
  const res = spawnSync(cmd, args, { encoding: 'utf8' });
  if (res.error) throw new Error(`${cmd}: ${res.error.message}`);
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${(res.stderr || res.stdout).trim()}`);
  return res.stdout;
}

const ip = (...args: string[]) => run('ip', args);

export function netnsExists(name: string): boolean {
  return existsSync(join('/run/netns', name));
}

/**
 * The node's network namespace, joined to the host by a veth pair: `eth0` inside (as on a real
 * machine), `asb<slot>-host` outside. The host routes the slot's pod and Service ranges through
 * the node, so tests reach pod IPs and ClusterIPs from the host as they would on a node.
 */
export function createNodeNetwork(a: NodeAddresses): void {
  removeNodeNetwork(a);
  ip('netns', 'add', a.netns);
  try {
    ip('link', 'add', a.hostInterface, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', a.netns);
    ip('addr', 'add', `${a.hostIp}/${a.linkPrefix}`, 'dev', a.hostInterface);
    ip('link', 'set', a.hostInterface, 'up');
    ip('-n', a.netns, 'link', 'set', 'lo', 'up');
    ip('-n', a.netns, 'addr', 'add', `${a.nodeIp}/${a.linkPrefix}`, 'dev', 'eth0');
    ip('-n', a.netns, 'link', 'set', 'eth0', 'up');
    ip('-n', a.netns, 'route', 'add', 'default', 'via', a.hostIp);
    ip('route', 'add', a.podCidr, 'via', a.nodeIp, 'dev', a.hostInterface);
    ip('route', 'add', a.serviceCidr, 'via', a.nodeIp, 'dev', a.hostInterface);
    // The node forwards between its pods, its link and kube-proxy's DNAT; bridged pod traffic
    // must pass iptables so that a pod reaches a Service backed by a pod on the same bridge.
    for (const [key, value] of [
      ['net/ipv4/ip_forward', '1'],
      ['net/bridge/bridge-nf-call-iptables', '1'],
      ['net/ipv4/conf/all/route_localnet', '1'],
    ] as const) {
      run('nsenter', [`--net=/run/netns/${a.netns}`, '--', 'sh', '-c', `echo ${value} > /proc/sys/${key}`]);
    }
  } catch (err) {
    removeNodeNetwork(a);
    throw err;
  }
}

/** Deleting the namespace deletes its interfaces, the veth's host end and its routes too. */
export function removeNodeNetwork(a: NodeAddresses): void {
  if (netnsExists(a.netns)) spawnSync('ip', ['netns', 'delete', a.netns]);
  if (existsSync(`/sys/class/net/${a.hostInterface}`)) spawnSync('ip', ['link', 'delete', a.hostInterface]);
}

/** The cgroup v1 hierarchies mounted on this host (cgroup v2 has one: the unified one). */
function cgroupMounts(): string[] {
  const mounts: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fsType = right.split(' ')[0];
    const mountPoint = left.split(' ')[4]!;
    if (fsType === 'cgroup' || fsType === 'cgroup2') mounts.push(mountPoint);
  }
  return mounts;
}

/**
 * Creates the node's cgroup in every hierarchy: the kubelet puts its pods under it
 * (`cgroupRoot`), and the daemons start inside it, so stopping the node can find and end
 * every process it ever made (containerd's shims outlive containerd by design).
 */
export function createNodeCgroup(name: string): void {
  for (const mount of cgroupMounts()) {
    const dir = join(mount, name);
    if (existsSync(dir)) continue;
    execFileSync('mkdir', [dir]);
    // A new cpuset is empty until given CPUs and memory nodes: inherit the root's.
    if (existsSync(join(mount, 'cpuset.cpus'))) {
      for (const file of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(join(dir, file), readFileSync(join(mount, file)));
    }
  }
}

/** Shell words that move the shell into the node's cgroup in every hierarchy. */
export function joinCgroupScript(name: string): string {
  return cgroupMounts()
    .map((mount) => `echo $$ > ${join(mount, name, 'cgroup.procs')}`)
    .join('; ');
}

function descendants(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...descendants(join(dir, entry.name)), join(dir, entry.name));
  }
  return out;
}

/** Pids in the node's cgroup tree (any hierarchy has them all: each process is in each one). */
export function cgroupPids(name: string): number[] {
  const pids = new Set<number>();
  for (const mount of cgroupMounts()) {
    const root = join(mount, name);
    if (!existsSync(root)) continue;
    for (const dir of [root, ...descendants(root)]) {
      try {
        for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (pid) pids.add(Number(pid));
      } catch {
        /* removed meanwhile */
      }
    }
  }
  return [...pids];
}

/** SIGKILLs every process in the node's cgroups until none is left, then removes them. */
export async function removeNodeCgroup(name: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (let pids = cgroupPids(name); pids.length; pids = cgroupPids(name)) {
    if (Date.now() > deadline) throw new Error(`processes ${pids.join(', ')} in cgroup ${name} would not die`);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const mount of cgroupMounts()) {
    const root = join(mount, name);
    if (!existsSync(root)) continue;
    for (const dir of [...descendants(root), root]) {
      // A cgroup whose last process just died may be busy for a moment.
      for (let attempt = 0; ; attempt++) {
        try {
          rmdirSync(dir);
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
          if (attempt > 100) throw new Error(`cannot remove cgroup ${dir}: ${(err as Error).message}`, { cause: err });
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
  }
}

/** Mount points at or under any of `dirs`, deepest first. */
export function mountsUnder(dirs: string[]): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\040/g, ' '))
    .filter((p) => dirs.some((d) => p === d || p.startsWith(d + '/')));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Unmounts everything under `dirs` (overlay roots, volumes, pod network namespaces). */
export function unmountUnder(dirs: string[]): void {
  for (let round = 0; round < 5; round++) {
    const points = mountsUnder(dirs);
    if (!points.length) return;
    for (const point of points) spawnSync('umount', ['-l', point]);
  }
  const left = mountsUnder(dirs);
  if (left.length) throw new Error(`could not unmount: ${left.join(', ')}`);
}

/** The ids of every pod sandbox and container the node's containerd ran (its task state). */
export function containerIds(layout: NodeLayout): { namespace: string; id: string }[] {
  const tasks = join(layout.containerdState, 'io.containerd.runtime.v2.task');
  if (!existsSync(tasks)) return [];
  return readdirSync(tasks).flatMap((namespace) => readdirSync(join(tasks, namespace)).map((id) => ({ namespace, id })));
}

/**
 * Files a node leaves outside its folders by design, all keyed by names of ours: containerd
 * 1.6 puts each shim's socket at /run/containerd/s/<sha256 of its socket path, namespace and
 * sandbox id> whatever its state folder; libcni caches results in /var/lib/cni/results by
 * network name and container id; the kubelet links container logs from /var/log/containers.
 */
export function shimSocket(layout: NodeLayout, namespace: string, id: string): string {
  return join('/run/containerd/s', createHash('sha256').update(join(layout.containerdSocket, namespace, id)).digest('hex'));
}

export function removeHostLeftovers(layout: NodeLayout, ids: { namespace: string; id: string }[]): void {
  for (const { namespace, id } of ids) {
    rmSync(shimSocket(layout, namespace, id), { force: true });
    rmSync(join('/var/lib/cni/results', `cni-loopback-${id}-lo`), { force: true });
  }
  removeIfEmpty('/run/containerd/s');
  removeIfEmpty('/run/containerd');

  const results = '/var/lib/cni/results';
  if (existsSync(results)) {
    for (const entry of readdirSync(results)) if (entry.startsWith(`${layout.cniNetwork}-`)) rmSync(join(results, entry), { force: true });
    removeIfEmpty(results);
    removeIfEmpty('/var/lib/cni');
  }

  const links = '/var/log/containers';
  if (existsSync(links)) {
    for (const entry of readdirSync(links)) {
      const path = join(links, entry);
      let target: string;
      try {
        target = readlinkSync(path);
      } catch {
        continue; // not a link: not the kubelet's
      }
      if (target.startsWith(layout.podLogsDir + '/') || !existsSync(path)) rmSync(path, { force: true });
    }
    removeIfEmpty(links);
  }
}

function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    /* not empty, or not there */
  }
}
