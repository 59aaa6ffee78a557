/**
 * What the steps of a claim's reconcile share: the caches they read, the writer, the Events and
 * metrics, and this process's memory ahead of its cache.
 */
import { controllerOf, isNotFound, type EventRecorder, type KubeClient, type Store, type Writer } from '@agent-sandbox/runtime';
import { SandboxKind, type ClaimObject, type SandboxObject } from '../kinds.ts';
import type { ClaimMetrics } from './claim-metrics.ts';
import type { LocalState } from './local-state.ts';

export interface ClaimSteps {
  sandboxes: Store<SandboxObject>;
  /** Reads only; every write goes through `writer`. */
  client: KubeClient;
  writer: Writer;
  events: EventRecorder;
  metrics: ClaimMetrics;
  state: LocalState;
}

/** Whether `sandbox` is controlled by `claim`. */
export function isOurs(sandbox: SandboxObject | undefined, claim: ClaimObject): boolean {
  return sandbox !== undefined && controllerOf(sandbox)?.uid === claim.metadata.uid;
}

/** A Sandbox as the API server has it now (the cache may lag); undefined when there is none. */
export async function readSandbox(steps: ClaimSteps, namespace: string, name: string, signal: AbortSignal): Promise<SandboxObject | undefined> {
  try {
    return await steps.client.get<SandboxObject>(SandboxKind, { namespace, name }, { signal });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The claim with its kind set (cached list items carry none; Events and owner references need it). */
export function withKind(claim: ClaimObject): ClaimObject {
  return { ...claim, apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxClaim' };
}
