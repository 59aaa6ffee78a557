import { describe, expect, it } from 'vitest';
import { isReservedKey, userAnnotations, userLabels } from './metadata-filter.ts';

describe('reserved-prefix filter', () => {
  it('recognises both reserved prefixes and nothing that merely resembles them', () => {
    expect(isReservedKey('agents.x-k8s.io/claim-uid')).toBe(true);
    expect(isReservedKey('extensions.agents.x-k8s.io/anything')).toBe(true);
    expect(isReservedKey('my.agents.x-k8s.io/x')).toBe(false);
    expect(isReservedKey('agents.x-k8s.io')).toBe(false);
    expect(isReservedKey('app')).toBe(false);
  });

  it('drops reserved labels and keeps the rest', () => {
    expect(userLabels({ app: 'web', 'agents.x-k8s.io/sandbox-name-hash': 'deadbeef', 'extensions.agents.x-k8s.io/x': 'y' })).toEqual({ app: 'web' });
    expect(userLabels(undefined)).toEqual({});
  });

  it('drops reserved annotations and the trace context', () => {
    expect(
      userAnnotations({
        'opentelemetry.io/trace-context': '{"traceparent":"00-..."}',
        'agents.x-k8s.io/pod-name': 'p',
        'example.com/note': 'kept',
      }),
    ).toEqual({ 'example.com/note': 'kept' });
  });
});
