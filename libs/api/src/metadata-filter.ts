/**
 * Which user-supplied labels and annotations may reach objects the system makes (a template's
 * pod metadata onto a Pod): keys under the reserved prefixes are the system's, and so is the
 * trace-context annotation.
 */
import { RESERVED_KEY_PREFIXES, TRACE_CONTEXT_ANNOTATION } from './keys.ts';

export function isReservedKey(key: string): boolean {
  return RESERVED_KEY_PREFIXES.some((prefix) => key.startsWith(prefix));
}

/** Labels without reserved keys. */
export function userLabels(labels: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([key]) => !isReservedKey(key)));
}

/** Annotations without reserved keys and without the trace context. */
export function userAnnotations(annotations: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(annotations ?? {}).filter(([key]) => !isReservedKey(key) && key !== TRACE_CONTEXT_ANNOTATION),
  );
}
