/** A validation failure at a field path, in the words Kubernetes uses for its own. */
export interface FieldError {
  /** e.g. `spec.additionalPodMetadata.labels[team]` */
  path: string;
  type: 'Invalid' | 'Forbidden' | 'Required' | 'TooLong';
  /** The offending value (a key or a value), when there is one. */
  value?: string;
  detail: string;
}

/** `path: Type value: detail`, like the API server's messages. */
export function formatFieldError(e: FieldError): string {
  const type = { Invalid: 'Invalid value', Forbidden: 'Forbidden', Required: 'Required value', TooLong: 'Too long' }[e.type];
  return `${e.path}: ${type}${e.value !== undefined ? `: ${JSON.stringify(e.value)}` : ''}: ${e.detail}`;
}

export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map(formatFieldError).join('; ');
}
