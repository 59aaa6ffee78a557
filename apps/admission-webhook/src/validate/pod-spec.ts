/**
 * Pod spec rules for Sandboxes and SandboxTemplates: nothing that reaches into the node
 * (privileged, host namespaces and ports, hostPath, Windows host processes), a runtime class
 * from the allow-list when there is one, and resource limits when the policy wants them.
 */
import type { FieldError } from '@agent-sandbox/api';
import type { Policy } from '../policy/policy.ts';
import { arrayAt, isRecord, recordAt, stringAt, shown, type JsonRecord } from '../util/json.ts';

const HOST_NAMESPACES = [
  ['hostNetwork', "sharing the host's network namespace is not allowed; remove hostNetwork or set it to false"],
  ['hostPID', "sharing the host's process namespace is not allowed; remove hostPID or set it to false"],
  ['hostIPC', "sharing the host's IPC namespace is not allowed; remove hostIPC or set it to false"],
] as const;

const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

function containerRules(container: JsonRecord, path: string, list: (typeof CONTAINER_LISTS)[number], policy: Policy): FieldError[] {
  const errors: FieldError[] = [];
  const securityContext = recordAt(container, 'securityContext');
  if (securityContext?.privileged === true) {
    errors.push({
      path: `${path}.securityContext.privileged`,
      type: 'Forbidden',
      detail: 'privileged containers are not allowed; remove privileged or set it to false',
    });
  }
  if (recordAt(securityContext, 'windowsOptions')?.hostProcess === true) {
    errors.push({
      path: `${path}.securityContext.windowsOptions.hostProcess`,
      type: 'Forbidden',
      detail: 'Windows host-process containers are not allowed; remove hostProcess or set it to false',
    });
  }
  arrayAt(container, 'ports').forEach((port, i) => {
    const hostPort = isRecord(port) ? port.hostPort : undefined;
    if (typeof hostPort === 'number' && hostPort !== 0) {
      errors.push({
        path: `${path}.ports[${i}].hostPort`,
        type: 'Forbidden',
        value: String(hostPort),
        detail: "ports on the host's network are not allowed; remove hostPort (the sandbox is reached through its Service or the router)",
      });
    }
  });
  // Ephemeral containers may not set resources at all, so limits are asked of the others only.
  if (policy.podRules.requireResourceLimits && list !== 'ephemeralContainers') {
    const limits = recordAt(recordAt(container, 'resources'), 'limits');
    for (const resource of policy.podRules.requiredLimits) {
      const value = limits?.[resource];
      if (value === undefined || value === null || value === '') {
        errors.push({
          path: `${path}.resources.limits.${resource}`,
          type: 'Required',
          detail: `the cluster's policy requires a ${resource} limit on every container; set resources.limits.${resource}`,
        });
      }
    }
  }
  return errors;
}

/** Problems with the pod spec at `path` (e.g. `spec.podTemplate.spec`). */
export function validatePodSpec(podSpec: unknown, path: string, policy: Policy): FieldError[] {
  if (!isRecord(podSpec)) return [];
  const errors: FieldError[] = [];

  for (const [field, detail] of HOST_NAMESPACES) {
    if (podSpec[field] === true) errors.push({ path: `${path}.${field}`, type: 'Forbidden', detail });
  }
  if (recordAt(recordAt(podSpec, 'securityContext'), 'windowsOptions')?.hostProcess === true) {
    errors.push({
      path: `${path}.securityContext.windowsOptions.hostProcess`,
      type: 'Forbidden',
      detail: 'Windows host-process pods are not allowed; remove hostProcess or set it to false',
    });
  }

  arrayAt(podSpec, 'volumes').forEach((volume, i) => {
    if (isRecord(volume) && volume.hostPath !== undefined && volume.hostPath !== null) {
      const name = stringAt(volume, 'name');
      errors.push({
        path: `${path}.volumes[${i}].hostPath`,
        type: 'Forbidden',
        ...(name !== undefined ? { value: name } : {}),
        detail: 'hostPath volumes are not allowed; use an emptyDir, a volumeClaimTemplate, a ConfigMap or a Secret instead',
      });
    }
  });

  const allowed = policy.podRules.allowedRuntimeClassNames;
  if (allowed.length > 0) {
    const runtimeClass = podSpec.runtimeClassName;
    if (runtimeClass === undefined || runtimeClass === null || runtimeClass === '') {
      errors.push({
        path: `${path}.runtimeClassName`,
        type: 'Required',
        detail: `the cluster's policy requires a runtime class; set runtimeClassName to one of: ${allowed.join(', ')}`,
      });
    } else if (typeof runtimeClass !== 'string' || !allowed.includes(runtimeClass)) {
      errors.push({
        path: `${path}.runtimeClassName`,
        type: 'Forbidden',
        value: shown(runtimeClass),
        detail: `the cluster's policy allows only these runtime classes: ${allowed.join(', ')}`,
      });
    }
  }

  for (const list of CONTAINER_LISTS) {
    arrayAt(podSpec, list).forEach((container, i) => {
      if (!isRecord(container)) return;
      const name = stringAt(container, 'name');
      // Kubernetes names list items by index; the container's name helps a reader find it.
      const at = `${path}.${list}[${i}]`;
      const found = containerRules(container, at, list, policy);
      if (name) for (const e of found) e.detail = `container "${name}": ${e.detail}`;
      errors.push(...found);
    });
  }
  return errors;
}
