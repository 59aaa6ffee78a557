import { describe, expect, it } from 'vitest';
import { parseApiPath } from './request-span.ts';

describe('parseApiPath', () => {
  it('names group, version, resource, namespace, name and subresource', () => {
    expect(parseApiPath('/apis/agents.x-k8s.io/v1beta1/namespaces/team-a/sandboxes/s1/status')).toEqual({
      group: 'agents.x-k8s.io',
      version: 'v1beta1',
      resource: 'sandboxes',
      namespace: 'team-a',
      name: 's1',
      subresource: 'status',
    });
    expect(parseApiPath('/api/v1/namespaces/ns/pods?labelSelector=a')).toEqual({ group: '', version: 'v1', resource: 'pods', namespace: 'ns' });
  });

  it('takes a Namespace for the resource it is, and a cluster-scoped object by name', () => {
    expect(parseApiPath('/api/v1/namespaces/ns')).toEqual({ group: '', version: 'v1', resource: 'namespaces', name: 'ns' });
    expect(parseApiPath('/apis/rbac.authorization.k8s.io/v1/clusterroles/r')).toEqual({ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles', name: 'r' });
  });

  it('names nothing for paths outside the resource API', () => {
    expect(parseApiPath('/metrics')).toBeUndefined();
    expect(parseApiPath('/apis/agents.x-k8s.io')).toBeUndefined();
    expect(parseApiPath('/version')).toBeUndefined();
  });
});
