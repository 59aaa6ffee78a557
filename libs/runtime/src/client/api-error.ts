/** A `metav1.Status` failure from the API server, or a transport failure (code 0). */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly code: number;
  readonly reason: string;
  readonly details: unknown;

  constructor(code: number, reason: string, message: string, details?: unknown) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  static fromStatus(httpCode: number, body: unknown): ApiError {
    const status = (body && typeof body === 'object' ? body : {}) as { code?: number; reason?: string; message?: string; details?: unknown };
    const code = typeof status.code === 'number' && status.code > 0 ? status.code : httpCode;
    return new ApiError(code, status.reason ?? 'Unknown', status.message ?? `HTTP ${httpCode}`, status.details);
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof ApiError && err.code === 404;
export const isConflict = (err: unknown): boolean => err instanceof ApiError && err.code === 409;
export const isAlreadyExists = (err: unknown): boolean => err instanceof ApiError && err.code === 409 && err.reason === 'AlreadyExists';
/** 410 Gone: the resourceVersion a watch or a list continuation named has been compacted away. */
export const isGone = (err: unknown): boolean => err instanceof ApiError && (err.code === 410 || err.reason === 'Expired' || err.reason === 'Gone');
