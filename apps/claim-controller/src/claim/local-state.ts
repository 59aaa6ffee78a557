/**
 * What this process knows ahead of its informer cache, shared by its workers. A claim is bound
 * in a few milliseconds; the watch events of those writes arrive later. Until they do, a worker
 * must not offer a member this process is taking or has just taken, nor think a claim it has
 * just bound is unbound. Each memory is forgotten as soon as the cache shows something newer.
 */
import { controllerOf, OwnWrites } from '@agent-sandbox/runtime';
import type { ClaimObject, SandboxObject } from '../kinds.ts';

export class LocalState {
  /** Members a worker of this process is adopting right now (`ns/name`). */
  readonly inFlight = new Set<string>();
  /** Members taken (or lost) at a resourceVersion the cache may still show: `ns/name` → rv. */
  readonly taken = new Map<string, string>();
  /** Claims bound by this process whose Sandbox the cache does not show as theirs yet: claim uid → `ns/name`. */
  readonly bound = new Map<string, string>();
  /** This process's last write of each claim, while the cache still shows an older version. */
  readonly claims = new OwnWrites<ClaimObject>();

  /** Whether a worker must pass over this member: being taken, or taken at the version the cache shows. */
  skip(s: SandboxObject): boolean {
    const key = `${s.metadata.namespace}/${s.metadata.name}`;
    return this.inFlight.has(key) || this.taken.get(key) === s.metadata.resourceVersion;
  }

  /** The cache moved on: what it shows now is newer than what we remembered. */
  observed(s: SandboxObject): void {
    const key = `${s.metadata.namespace}/${s.metadata.name}`;
    const rv = this.taken.get(key);
    if (rv !== undefined && rv !== s.metadata.resourceVersion) this.taken.delete(key);
    const owner = controllerOf(s);
    if (owner && this.bound.get(owner.uid) === key) this.bound.delete(owner.uid);
  }
}
