/**
 * Whole statuses, compared the way a strict client or a conformance suite compares them: every
 * field, the full condition set with reasons, messages and observedGeneration; only
 * `lastTransitionTime` is left out, and conditions are taken as a map keyed by type.
 */
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'vitest';
import { fnv1a32 } from '@agent-sandbox/api';
import type { KubeClient, KubeObject, ResourceKind } from '@agent-sandbox/runtime';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = KubeObject & { spec?: any; status?: any };

export interface ExpectedCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration?: number;
}

/** A condition as expected on an object of `generation`. */
export const condition = (type: string, status: ExpectedCondition['status'], reason: string, message: string, generation = 1): ExpectedCondition => ({
  type,
  status,
  reason,
  message,
  observedGeneration: generation,
});

/** The status without transition times, conditions sorted by type; undefined when there is none. */
export function strict(obj: Obj | undefined): Record<string, unknown> | undefined {
  const status = obj?.status as Record<string, unknown> | undefined;
  if (!status) return undefined;
  const conditions = (status.conditions as Array<Record<string, unknown>> | undefined) ?? [];
  return {
    ...status,
    conditions: [...conditions].sort((a, b) => String(a.type).localeCompare(String(b.type))).map(({ lastTransitionTime: _, ...c }) => c),
  };
}

/** Sorted by type, as `strict` gives them. */
export const sorted = (conditions: ExpectedCondition[]) => [...conditions].sort((a, b) => a.type.localeCompare(b.type));

/**
 * Waits until the object's whole status is `expected` (recomputed each time: it may quote the
 * Pod's IPs) and returns the object; on timeout fails with the difference.
 */
export async function waitForStatus(what: string, read: () => Promise<Obj>, expected: (obj: Obj) => unknown | Promise<unknown>, timeoutMs = 30_000): Promise<Obj> {
  const deadline = Date.now() + timeoutMs;
  let last: Obj | undefined;
  let want: unknown;
  for (;;) {
    try {
      last = await read();
      want = await expected(last);
      if (isDeepStrictEqual(strict(last), want)) return last;
    } catch {
      // not there yet
    }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(strict(last), `${what}: the whole status after ${timeoutMs} ms`).toEqual(want);
  throw new Error(`${what}: timed out`);
}

/**
 * For `forMs`, checks every 100 ms that the object's whole status stays `expected` (no fixed
 * sleep: a change at any point fails).
 */
export async function statusStays(what: string, read: () => Promise<Obj>, expected: unknown, forMs = 1_500): Promise<void> {
  const until = Date.now() + forMs;
  while (Date.now() < until) {
    expect(strict(await read()), what).toEqual(expected);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Every version of one object from now until `stop`: a watch from the resourceVersion of a list
 * made first, so no version written after the call returns is missed.
 */
export async function recordVersions(admin: KubeClient, kind: ResourceKind, namespace: string, name: string): Promise<{ versions: Obj[]; stop: () => void }> {
  const versions: Obj[] = [];
  const controller = new AbortController();
  const fieldSelector = `metadata.name=${name}`;
  const list = await admin.list<Obj>(kind, { namespace, query: { fieldSelector } });
  versions.push(...list.items);
  const prefix = kind.group ? `/apis/${kind.group}/${kind.version}` : `/api/${kind.version}`;
  void admin
    .stream(`${prefix}/namespaces/${namespace}/${kind.plural}`, {
      query: { watch: 'true', fieldSelector, resourceVersion: list.metadata.resourceVersion, timeoutSeconds: 600 },
      signal: controller.signal,
      onLine: (event) => {
        const e = event as { type: string; object: Obj };
        if (e.type === 'ADDED' || e.type === 'MODIFIED') versions.push(e.object);
      },
    })
    .catch(() => undefined);
  return { versions, stop: () => controller.abort() };
}

export const nameHashLabel = (name: string) => `agents.x-k8s.io/sandbox-name-hash=${fnv1a32(name)}`;
export const podIPsOf = (pod: Obj): string[] => (pod.status?.podIPs ?? []).map((p: { ip: string }) => p.ip);
