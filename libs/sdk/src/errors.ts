/** Every error the SDK throws on purpose is a SandboxError; `instanceof` tells which. */
export class SandboxError extends Error {
  override name = 'SandboxError';
}

/** The API server refused to create the claim (admission, validation, RBAC, quota): its message, as it said it. */
export class ClaimRefusedError extends SandboxError {
  override name = 'ClaimRefusedError';
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

/** A condition as the claim last reported it. */
export interface ClaimCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** The claim did not become Ready in time; `lastCondition` is its Ready condition when time ran out. */
export class SandboxReadyTimeoutError extends SandboxError {
  override name = 'SandboxReadyTimeoutError';
  readonly claim: string;
  readonly lastCondition: ClaimCondition | undefined;
  constructor(claim: string, lastCondition: ClaimCondition | undefined, timeoutMs: number) {
    super(
      `claim ${claim} was not Ready after ${timeoutMs / 1000} s` +
        (lastCondition ? ` (Ready=${lastCondition.status}, ${lastCondition.reason ?? 'no reason'}: ${lastCondition.message ?? ''})` : ' (no Ready condition yet)'),
    );
    this.claim = claim;
    this.lastCondition = lastCondition;
  }
}

/** The claim reported a reason that waiting will not change (invalid metadata, expired, …). */
export class ClaimFailedError extends SandboxError {
  override name = 'ClaimFailedError';
  readonly claim: string;
  readonly condition: ClaimCondition;
  constructor(claim: string, condition: ClaimCondition) {
    super(`claim ${claim} failed: ${condition.reason}: ${condition.message ?? ''}`);
    this.claim = claim;
    this.condition = condition;
  }
}

/** The sandbox (or its claim) no longer exists. */
export class SandboxGoneError extends SandboxError {
  override name = 'SandboxGoneError';
}

/** A command ran past its timeout and was killed; what it printed until then is kept. */
export class CommandTimeoutError extends SandboxError {
  override name = 'CommandTimeoutError';
  readonly stdout: string;
  readonly stderr: string;
  constructor(message: string, stdout = '', stderr = '') {
    super(message);
    this.stdout = stdout;
    this.stderr = stderr;
  }
}

/** The sandbox-router refused or failed a request (`{"detail"}`): 400, 401, 403, 429, 502, 503, 504. */
export class RouterError extends SandboxError {
  override name = 'RouterError';
  readonly status: number;
  readonly detail: string;
  readonly retryAfterSeconds: number | undefined;
  constructor(status: number, detail: string, retryAfterSeconds?: number) {
    super(`sandbox-router: ${status}: ${detail}`);
    this.status = status;
    this.detail = detail;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The runtime in the sandbox refused a request (`{"message"}`): a path outside the workspace (403), too large (413), … */
export class RuntimeError extends SandboxError {
  override name = 'RuntimeError';
  readonly status: number;
  constructor(status: number, message: string) {
    super(`sandbox runtime: ${status}: ${message}`);
    this.status = status;
  }
}

/** The Kubernetes API server answered with an error other than the ones above. */
export class KubernetesApiError extends SandboxError {
  override name = 'KubernetesApiError';
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}
