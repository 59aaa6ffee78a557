/**
 * The address plan of a cluster with a real node. Each such cluster on the machine takes a
 * slot (0–15) so that several can run side by side (a test run beside `npm start`): its node
 * lives in a network namespace of its own, joined to the host by a veth pair, and every range
 * the host must route to (pods, Services) is the slot's own.
 *
 *   host  <link>.1  ── veth ──  <link>.2  node (network namespace: kubelet, containerd,
 *                                          kube-proxy, the pod bridge)
 */
export const MAX_SLOTS = 16;

/** The real node's name: the kubelet's identity (system:node:<name>) and the Node object. */
export const REAL_NODE_NAME = 'real-node';

export interface NodeAddresses {
  slot: number;
  /** The host's end of the link: the API server binds and advertises here, so pods reach it. */
  hostIp: string;
  /** The node's end of the link: its InternalIP, where the API server reaches the kubelet. */
  nodeIp: string;
  /** Prefix length of the link. */
  linkPrefix: number;
  /** Pods of the real node (routed from the host through the node). */
  podCidr: string;
  /** The bridge's address in the pod range: pods' default gateway. */
  podGateway: string;
  /** ClusterIP range (routed from the host through the node, where kube-proxy answers). */
  serviceCidr: string;
  /** The `kubernetes` Service's ClusterIP (first address of the range). */
  apiServiceIp: string;
  /** The cluster DNS Service's ClusterIP. */
  dnsServiceIp: string;
  /** Host-side interface name (at most 15 characters). */
  hostInterface: string;
  /** Network namespace name (`ip netns`). */
  netns: string;
}

/** Service range of clusters without a real node: nothing routes to it, so all share it. */
export const DEFAULT_SERVICE_CIDR = '10.96.0.0/16';
export const DEFAULT_API_SERVICE_IP = '10.96.0.1';

export function nodeAddresses(slot: number): NodeAddresses {
  if (!Number.isInteger(slot) || slot < 0 || slot >= MAX_SLOTS) throw new Error(`real-node slot ${slot}: must be 0–${MAX_SLOTS - 1}`);
  return {
    slot,
    hostIp: `172.30.${slot}.1`,
    nodeIp: `172.30.${slot}.2`,
    linkPrefix: 30,
    podCidr: `10.${200 + slot}.0.0/24`,
    podGateway: `10.${200 + slot}.0.1`,
    serviceCidr: `10.${96 + slot}.0.0/16`,
    apiServiceIp: `10.${96 + slot}.0.1`,
    dnsServiceIp: `10.${96 + slot}.0.10`,
    hostInterface: `asb${slot}-host`,
    netns: `agent-sandbox-${slot}`,
  };
}
