import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Where Debian's containernetworking-plugins installs the CNI plugins. */
export const CNI_BIN_DIR = '/usr/lib/cni';

/** Debian packages a real node needs, and the file that shows each is installed. */
const PACKAGES: ReadonlyArray<{ pkg: string; provides: string; check: () => boolean }> = [
  { pkg: 'containerd', provides: 'containerd, ctr', check: () => onPath('containerd') && onPath('ctr') && onPath('containerd-shim-runc-v2') },
  { pkg: 'runc', provides: 'runc', check: () => onPath('runc') },
  { pkg: 'containernetworking-plugins', provides: `${CNI_BIN_DIR}/bridge`, check: () => ['bridge', 'host-local', 'loopback', 'portmap'].every((p) => existsSync(join(CNI_BIN_DIR, p))) },
  { pkg: 'iptables', provides: 'iptables', check: () => onPath('iptables') },
  { pkg: 'iproute2', provides: 'ip', check: () => onPath('ip') },
  { pkg: 'util-linux', provides: 'nsenter, mount', check: () => onPath('nsenter') && onPath('umount') },
  { pkg: 'gcc', provides: 'gcc (builds the pause image)', check: () => onPath('gcc') },
];

/** The Debian packages a real node needs, for .ci/run and the README. */
export const REAL_NODE_PACKAGES = PACKAGES.map((p) => p.pkg);

function onPath(bin: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  return dirs.some((dir) => {
    try {
      accessSync(join(dir, bin), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Why this machine cannot run a real node, as one message naming the exact command that fixes
 * it, or undefined when it can.
 */
export function realNodeBlocker(): string | undefined {
  if (process.platform !== 'linux') return `a real node needs Linux (this is ${process.platform}); use the simulated nodes, or kind (npm run e2e:kind)`;
  const missing = PACKAGES.filter((p) => !p.check()).map((p) => p.pkg);
  const isRoot = process.getuid?.() === 0;
  if (missing.length) {
    const install = `apt-get install -y ${missing.join(' ')}`;
    return `a real node needs Debian packages that are missing: ${missing.join(', ')}. Run: ${isRoot ? install : `sudo ${install}`}${isRoot ? '' : ' (and start the cluster as root: sudo npm run cluster -- up --real-node)'}`;
  }
  if (!isRoot) return 'a real node runs containers and changes the network: run it as root (sudo npm run cluster -- up --real-node)';
  if (!existsSync('/sys/fs/cgroup')) return 'a real node needs cgroups mounted at /sys/fs/cgroup';
  return undefined;
}

/**
 * Does this run want a real node? `AGENT_SANDBOX_REAL_NODE=1` requires one, `=0` refuses one;
 * unset, a run on Linux as root has one (a machine that allows it runs the node tier; one
 * that lacks the packages then fails with the command that installs them).
 */
export function realNodeWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  const setting = env.AGENT_SANDBOX_REAL_NODE;
  if (setting === '1' || setting === 'true') return true;
  if (setting === '0' || setting === 'false') return false;
  if (setting !== undefined && setting !== '') throw new Error(`AGENT_SANDBOX_REAL_NODE=${setting}: use 1 (require a real node) or 0 (none)`);
  return process.platform === 'linux' && process.getuid?.() === 0 && !env.KUBECONFIG;
}
