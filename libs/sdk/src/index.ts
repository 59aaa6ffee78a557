/**
 * `@agent-sandbox/sdk`: claim a sandbox from a warm pool, run commands in it and move files,
 * through the sandbox-router or straight to the Pod.
 *
 * ```ts
 * const client = new SandboxClient({ connection: { mode: 'router', url: 'http://sandbox-router:8080' } });
 * await using sandbox = await client.create({ warmPool: 'python' });
 * const { stdout } = await sandbox.run("python3 -c 'print(6*7)'");
 * ```
 */
export { SandboxClient, type ClaimSummary, type CreateOptions, type SandboxClientOptions } from './client.ts';
export { Sandbox, SandboxFiles, type CommandResult, type FileEntry, type OutputEvent, type RunOptions } from './sandbox.ts';
export type { Connection } from './data/connection.ts';
export { loadClusterAccess, inClusterAccess, type ClusterAccess } from './kube/kubeconfig.ts';
export { FINAL_CLAIM_REASONS, newClaimName, type ClaimSpecOptions, type SandboxClaim } from './claims.ts';
export {
  ClaimFailedError,
  ClaimRefusedError,
  CommandTimeoutError,
  KubernetesApiError,
  RouterError,
  RuntimeError,
  SandboxError,
  SandboxGoneError,
  SandboxReadyTimeoutError,
  type ClaimCondition,
} from './errors.ts';
