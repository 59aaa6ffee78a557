import type { V1ServicePort, V1Volume } from '@kubernetes/client-node';
import { SANDBOX, SANDBOX_NAME_HASH_LABEL, POD_NAME_ANNOTATION, type VolumeClaimTemplate } from '@agent-sandbox/api';
import type { OwnerReference } from '@agent-sandbox/runtime';
import type { Container, PodObject, PvcObject, SandboxObject, ServiceObject } from '../kinds.ts';
import type { PodMetadata } from './pod-metadata.ts';

/** The Pod's name: the `agents.x-k8s.io/pod-name` annotation, else the sandbox's name. */
export function podNameOf(sandbox: SandboxObject): string {
  return sandbox.metadata.annotations?.[POD_NAME_ANNOTATION] || sandbox.metadata.name!;
}

export function sandboxRef(sandbox: SandboxObject): OwnerReference {
  return { apiVersion: SANDBOX.apiVersion, kind: SANDBOX.kind, name: sandbox.metadata.name!, uid: sandbox.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

export function pvcName(template: VolumeClaimTemplate, sandboxName: string): string {
  return `${template.metadata.name}-${sandboxName}`;
}

/**
 * The Pod a sandbox makes: its template's spec with each volume claim template's volume
 * pointing at the sandbox's PVC (replacing a pod volume of the same name, else added).
 */
export function desiredPod(sandbox: SandboxObject, metadata: PodMetadata): PodObject {
  const spec = structuredClone(sandbox.spec.podTemplate.spec);
  const volumes: V1Volume[] = [...(spec.volumes ?? [])];
  for (const template of sandbox.spec.volumeClaimTemplates ?? []) {
    const volume: V1Volume = { name: template.metadata.name, persistentVolumeClaim: { claimName: pvcName(template, sandbox.metadata.name!) } };
    const i = volumes.findIndex((v) => v.name === volume.name);
    if (i === -1) volumes.push(volume);
    else volumes[i] = volume;
  }
  if (volumes.length > 0) spec.volumes = volumes;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podNameOf(sandbox),
      namespace: sandbox.metadata.namespace,
      labels: metadata.labels,
      annotations: metadata.annotations,
      ownerReferences: [sandboxRef(sandbox)],
    },
    spec,
  };
}

export function desiredPvc(sandbox: SandboxObject, template: VolumeClaimTemplate, hash: string): PvcObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: pvcName(template, sandbox.metadata.name!),
      namespace: sandbox.metadata.namespace,
      labels: { ...template.metadata.labels, [SANDBOX_NAME_HASH_LABEL]: hash },
      ...(template.metadata.annotations ? { annotations: template.metadata.annotations } : {}),
      ownerReferences: [sandboxRef(sandbox)],
    },
    spec: template.spec,
  };
}

/**
 * Service ports from the main containers and the native sidecars (init containers with
 * `restartPolicy: Always`): one per (port, protocol), in the order first seen. A port keeps
 * its container port's name when it has one not taken yet, else `<protocol>-<port>`, so the
 * names do not move when other ports come and go.
 */
export function servicePorts(containers: readonly Container[], initContainers: readonly Container[] = []): V1ServicePort[] {
  const sidecars = initContainers.filter((c) => c.restartPolicy === 'Always');
  const seen = new Set<string>();
  const names = new Set<string>();
  const out: V1ServicePort[] = [];
  for (const container of [...containers, ...sidecars]) {
    for (const port of container.ports ?? []) {
      const protocol = port.protocol ?? 'TCP';
      const key = `${port.containerPort}/${protocol}`;
      if (seen.has(key)) continue;
      seen.add(key);
      let name = port.name && !names.has(port.name) ? port.name : `${protocol.toLowerCase()}-${port.containerPort}`;
      if (names.has(name)) name = `${protocol.toLowerCase()}-${port.containerPort}`;
      names.add(name);
      out.push({ name, port: port.containerPort, targetPort: port.containerPort as never, protocol });
    }
  }
  return out;
}

/** The headless Service of a sandbox: its name, selecting its Pod by the name-hash label. */
export function desiredService(sandbox: SandboxObject, hash: string): ServiceObject {
  const spec = sandbox.spec.podTemplate.spec;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: sandbox.metadata.name,
      namespace: sandbox.metadata.namespace,
      labels: { [SANDBOX_NAME_HASH_LABEL]: hash },
      ownerReferences: [sandboxRef(sandbox)],
    },
    spec: {
      clusterIP: 'None',
      selector: { [SANDBOX_NAME_HASH_LABEL]: hash },
      ports: servicePorts(spec.containers ?? [], spec.initContainers ?? []),
    },
  };
}

/** Whether an existing Service already has what `desired` asks for (ports, selector, labels). */
export function serviceUpToDate(current: ServiceObject, desired: ServiceObject): boolean {
  const cur = current.spec ?? {};
  const want = desired.spec!;
  const port = (p: V1ServicePort) => `${p.name ?? ''}|${p.port}|${p.protocol ?? 'TCP'}|${String(p.targetPort ?? p.port)}`;
  const samePorts = (cur.ports ?? []).map(port).join(',') === (want.ports ?? []).map(port).join(',');
  const sameSelector = JSON.stringify(cur.selector ?? {}) === JSON.stringify(want.selector);
  const labels = current.metadata.labels ?? {};
  const sameLabels = Object.entries(desired.metadata.labels ?? {}).every(([k, v]) => labels[k] === v);
  return samePorts && sameSelector && sameLabels && cur.clusterIP === 'None';
}
