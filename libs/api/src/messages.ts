/**
 * Condition messages of the standard, byte for byte. Clients and conformance suites compare
 * whole statuses, messages included, so these strings are part of the wire contract: change
 * none of them without the standard.
 */

/** Messages of a Sandbox's conditions. */
export const SandboxMessage = {
  // Ready: the Pod (and the Service where one is required)
  podReady: 'Pod is Ready',
  podMissing: 'Pod does not exist',
  podPhase: (phase: string) => `Pod exists with phase: ${phase}`,
  podRunningNotReady: 'Pod is Running but not Ready',
  podWithoutIPs: 'Pod is Ready but has no podIPs yet',
  /** The Service part, appended with `; ` when a Service is required. */
  serviceExists: 'Service Exists',
  serviceMissing: 'Service does not exist',
  // Ready: the other reasons (Finished True carries the same Pod messages)
  suspending: 'Sandbox is suspending',
  suspended: 'Sandbox is suspended',
  podSucceeded: 'Pod completed successfully',
  podFailed: 'Pod failed',
  expired: 'Sandbox has expired',
  error: (error: string) => `Error seen: ${error}`,
  // Suspended
  notSuspended: 'Sandbox is not suspended',
  podTerminated: 'Pod has been terminated. Sandbox is suspended',
  podTerminating: 'Pod is terminating. Sandbox is suspending',
  podNotOwned: 'Refused to delete pod because it is not owned by this sandbox',
  podStateUnknown: 'Pod state is unknown. Sandbox suspension cannot be confirmed',
  // PodScheduled, while the Pod has no such condition of its own
  podScheduledUnknown: 'Pod has not reported a PodScheduled condition yet',
} as const;

/**
 * The Ready message about the sandbox's dependencies: what the Pod is, and whether the
 * Service exists when one is required (`service` undefined: none is required).
 */
export function dependenciesMessage(pod: string, service?: 'exists' | 'missing'): string {
  if (service === undefined) return pod;
  return `${pod}; ${service === 'exists' ? SandboxMessage.serviceExists : SandboxMessage.serviceMissing}`;
}

/** Messages of a SandboxClaim's Ready condition where the standard fixes them. */
export const ClaimMessage = {
  warmPoolNotFound: (name: string) => `SandboxWarmPool "${name}" not found`,
  claimExpired: 'Claim expired. Sandbox cleanup initiated.',
  sandboxMissing: 'Sandbox does not exist',
  sandboxExpired: 'Underlying Sandbox resource has expired independently of the Claim.',
  sandboxNotReady: 'Sandbox is not ready',
  error: (error: string) => `Error seen: ${error}`,
} as const;
