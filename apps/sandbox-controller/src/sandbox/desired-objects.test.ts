import { describe, expect, it } from 'vitest';
import type { SandboxObject } from '../kinds.ts';
import { desiredPod, desiredService, podNameOf, servicePorts, serviceUpToDate } from './desired-objects.ts';

const sb = (spec: Partial<SandboxObject['spec']> = {}, annotations?: Record<string, string>): SandboxObject => ({
  apiVersion: 'agents.x-k8s.io/v1beta1',
  kind: 'Sandbox',
  metadata: { name: 'box', namespace: 'n', uid: 'u1', ...(annotations ? { annotations } : {}) },
  spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'i', ports: [{ containerPort: 8888, name: 'http' }] }], volumes: [{ name: 'home', emptyDir: {} }] } }, ...spec },
});

describe('desired objects', () => {
  it('names the Pod after the sandbox or its pod-name annotation', () => {
    expect(podNameOf(sb())).toBe('box');
    expect(podNameOf(sb({}, { 'agents.x-k8s.io/pod-name': 'other' }))).toBe('other');
  });

  it('replaces a same-named volume by the PVC and adds the others, leaving the template untouched', () => {
    const s = sb({ volumeClaimTemplates: [{ metadata: { name: 'home' }, spec: {} }, { metadata: { name: 'data' }, spec: {} }] });
    const pod = desiredPod(s, { labels: { a: 'b' }, annotations: {} });
    expect(pod.spec?.volumes).toEqual([
      { name: 'home', persistentVolumeClaim: { claimName: 'home-box' } },
      { name: 'data', persistentVolumeClaim: { claimName: 'data-box' } },
    ]);
    expect(s.spec.podTemplate.spec.volumes).toEqual([{ name: 'home', emptyDir: {} }]);
    expect(pod.metadata.ownerReferences).toEqual([{ apiVersion: 'agents.x-k8s.io/v1beta1', kind: 'Sandbox', name: 'box', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
  });

  it('takes Service ports from containers and native sidecars, de-duplicated, with stable names', () => {
    const ports = servicePorts(
      [{ name: 'a', ports: [{ containerPort: 80, name: 'web' }, { containerPort: 53, protocol: 'UDP' }] }, { name: 'b', ports: [{ containerPort: 80, name: 'dup' }, { containerPort: 81, name: 'web' }] }],
      [{ name: 'side', restartPolicy: 'Always', ports: [{ containerPort: 9000 }] }, { name: 'init', ports: [{ containerPort: 7000 }] }],
    );
    expect(ports.map((p) => `${p.name}:${p.port}/${p.protocol}`)).toEqual(['web:80/TCP', 'udp-53:53/UDP', 'tcp-81:81/TCP', 'tcp-9000:9000/TCP']);
  });

  it('makes a headless Service selecting by the name hash, and sees when one differs', () => {
    const svc = desiredService(sb(), 'h1');
    expect(svc.spec).toMatchObject({ clusterIP: 'None', selector: { 'agents.x-k8s.io/sandbox-name-hash': 'h1' } });
    expect(serviceUpToDate(svc, svc)).toBe(true);
    expect(serviceUpToDate({ ...svc, spec: { ...svc.spec, ports: [] } }, svc)).toBe(false);
    expect(serviceUpToDate({ ...svc, spec: { ...svc.spec, selector: {} } }, svc)).toBe(false);
  });
});
