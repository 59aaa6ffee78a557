import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, clustersDir } from '../paths.ts';
import { MAX_SLOTS } from './addresses.ts';

/**
 * Slots keep real nodes of clusters running side by side apart (each slot has its own address
 * ranges, network namespace and cgroup). A slot is a file naming its cluster, created
 * exclusively; a slot whose cluster folder is gone is free again.
 */
function slotsDir(): string {
  return join(cacheRoot(), 'real-nodes');
}

function slotFile(slot: number): string {
  return join(slotsDir(), `slot-${slot}`);
}

/** The cluster holding `slot`, and the process that claimed it. */
function slotHolder(slot: number): { cluster: string; pid: number } | undefined {
  try {
    const [cluster, pid] = readFileSync(slotFile(slot), 'utf8').trim().split(' ');
    return cluster ? { cluster, pid: Number(pid) } : undefined;
  } catch {
    return undefined;
  }
}

export function slotOwner(slot: number): string | undefined {
  return slotHolder(slot)?.cluster;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lowest free slot for `cluster` (or the one it holds already). */
export function claimSlot(cluster: string): number {
  mkdirSync(slotsDir(), { recursive: true });
  for (let slot = 0; slot < MAX_SLOTS; slot++) {
    const holder = slotHolder(slot);
    if (holder?.cluster === cluster) return slot;
    // Held while its cluster exists, or while the process that claimed it may still create it.
    if (holder && (existsSync(join(clustersDir(), holder.cluster, 'state.json')) || alive(holder.pid))) continue;
    if (holder) rmSync(slotFile(slot), { force: true });
    try {
      writeFileSync(slotFile(slot), `${cluster} ${process.pid}\n`, { flag: 'wx' });
      return slot;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another process took it just now
    }
  }
  throw new Error(`all ${MAX_SLOTS} real-node slots are taken (see ${slotsDir()}): stop a cluster with a real node first (npm run cluster -- down --name <name>)`);
}

export function releaseSlot(slot: number, cluster: string): void {
  if (slotOwner(slot) === cluster) rmSync(slotFile(slot), { force: true });
}
