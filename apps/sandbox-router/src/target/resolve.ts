import { POD_NAME_ANNOTATION } from '@agent-sandbox/api';
import { isForbiddenAddress } from './address-rules.ts';
import type { TargetRequest } from './target-headers.ts';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** What the router keeps of a Sandbox. */
export interface RoutedSandbox {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ kind: string; name: string; uid: string; controller?: boolean; apiVersion: string }>;
  };
  status?: { conditions?: Condition[] };
}

/** What the router keeps of a Pod. */
export interface RoutedPod {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    deletionTimestamp?: string;
    ownerReferences?: Array<{ kind: string; name: string; uid: string; controller?: boolean; apiVersion: string }>;
  };
  status?: { phase?: string; podIP?: string; podIPs?: Array<{ ip: string }>; conditions?: Condition[] };
}

export type Resolution =
  | { kind: 'ok'; address: string; port: number }
  | { kind: 'not-found'; detail: string }
  | { kind: 'not-ready'; detail: string }
  | { kind: 'bad-address'; detail: string };

/** The Pod a Sandbox says is its own (the annotation names it; by default it has the Sandbox's name). */
export function podNameOf(sandbox: RoutedSandbox): string {
  return sandbox.metadata.annotations?.[POD_NAME_ANNOTATION] || sandbox.metadata.name;
}

/** The claim holding a Sandbox: its controlling owner when that is a SandboxClaim. */
export function claimOf(sandbox: RoutedSandbox): string | undefined {
  const owner = sandbox.metadata.ownerReferences?.find((r) => r.controller === true);
  return owner?.kind === 'SandboxClaim' ? owner.name : undefined;
}

const readyOf = (conditions: Condition[] | undefined) => conditions?.find((c) => c.type === 'Ready');

/**
 * Where a request for a Sandbox goes, from what the router's watch has seen: the Sandbox must be
 * Ready, and its Pod controlled by it (same UID), not terminating, Ready, with an address. The
 * Pod-IP hint picks among that Pod's own addresses and is otherwise ignored: an address never
 * comes from the caller. Loopback, link-local, multicast and unspecified addresses are refused
 * even when the Pod reports one.
 */
export function resolveTarget(request: TargetRequest, sandbox: RoutedSandbox | undefined, pod: RoutedPod | undefined): Resolution {
  const id = `${request.namespace}/${request.name}`;
  if (!sandbox) return { kind: 'not-found', detail: `Sandbox ${id} not found` };
  const ready = readyOf(sandbox.status?.conditions);
  if (ready?.status !== 'True') {
    const why = ready ? `${ready.reason ?? 'NotReady'}${ready.message ? `: ${ready.message}` : ''}` : 'no Ready condition yet';
    return { kind: 'not-ready', detail: `Sandbox ${id} is not ready (${why})` };
  }
  const controller = pod?.metadata.ownerReferences?.find((r) => r.controller === true);
  if (!pod || controller?.uid !== sandbox.metadata.uid) return { kind: 'not-ready', detail: `Sandbox ${id}: its Pod is not known to the router yet` };
  if (pod.metadata.deletionTimestamp) return { kind: 'not-ready', detail: `Sandbox ${id}: its Pod is terminating` };
  if (readyOf(pod.status?.conditions)?.status !== 'True') return { kind: 'not-ready', detail: `Sandbox ${id}: its Pod is not Ready` };
  const addresses = pod.status?.podIPs?.map((p) => p.ip) ?? (pod.status?.podIP ? [pod.status.podIP] : []);
  if (addresses.length === 0) return { kind: 'not-ready', detail: `Sandbox ${id}: its Pod has no address yet` };
  const address = request.podIPHint && addresses.includes(request.podIPHint) ? request.podIPHint : addresses[0]!;
  const forbidden = isForbiddenAddress(address);
  if (forbidden) return { kind: 'bad-address', detail: `Sandbox ${id}: its Pod's address ${address} is ${forbidden}; refusing to proxy there` };
  return { kind: 'ok', address, port: request.port };
}
