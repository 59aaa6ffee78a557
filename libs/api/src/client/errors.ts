/** API server errors as one type with the Status fields callers branch on. */
import { ApiException } from '@kubernetes/client-node';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: { reason?: string; message?: string; field?: string }[];
}

export class KubeApiError extends Error {
  /** HTTP status code (404, 409, 422, ...). */
  readonly code: number;
  /** metav1.Status reason (`NotFound`, `Conflict`, `AlreadyExists`, `Invalid`, ...). */
  readonly reason: string | undefined;
  readonly details: StatusDetails | undefined;

  constructor(code: number, message: string, reason?: string, details?: StatusDetails, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KubeApiError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  /** Converts what client-node throws (ApiException with a Status body) into a KubeApiError. */
  static from(err: unknown, action: string): unknown {
    if (!(err instanceof ApiException)) return err;
    let status: { message?: string; reason?: string; details?: StatusDetails } | undefined;
    try {
      status = typeof err.body === 'string' ? JSON.parse(err.body) : (err.body as typeof status);
    } catch {
      status = undefined;
    }
    const message = status?.message ?? (typeof err.body === 'string' ? err.body : err.message);
    return new KubeApiError(err.code, `${action}: ${message}`, status?.reason, status?.details, { cause: err });
  }
}

const hasCode = (code: number) => (err: unknown): boolean => err instanceof KubeApiError && err.code === code;

export const isNotFound = hasCode(404);
/** A resourceVersion or uid precondition failed, or an apply conflict. */
export const isConflict = hasCode(409);
export const isInvalid = hasCode(422);
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 409 && err.reason === 'AlreadyExists';
}
