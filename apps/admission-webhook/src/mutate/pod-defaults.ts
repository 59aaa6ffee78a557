/**
 * Secure defaults for a pod spec, as JSON Patch operations. A field the user set (to any
 * value, even an insecure one) is never touched: validation refuses what is not allowed,
 * defaulting only fills gaps. JSON null counts as unset, as it does for Kubernetes.
 */
import { defaultRuntimeClass, type Policy } from '../policy/policy.ts';
import { arrayAt, isRecord, recordAt, stringAt, type JsonRecord } from '../util/json.ts';
import { escapePointerToken, type JsonPatchOp } from '../review/json-patch.ts';

/**
 * Adds `value` at `path` under `parent` (whose JSON Pointer is `base`) unless something is
 * already there, creating missing parents in the same operation. The change is also made to
 * `parent` so that later defaults see it (two defaults under one missing parent would
 * otherwise both add that parent, the second erasing the first).
 */
export function setDefault(ops: JsonPatchOp[], parent: JsonRecord, base: string, path: readonly string[], value: unknown): void {
  let node = parent;
  let at = base;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    const child = node[key];
    const pointer = `${at}/${escapePointerToken(key)}`;
    if (child === undefined || child === null) {
      let built: unknown = value;
      for (let j = path.length - 1; j > i; j--) built = { [path[j]!]: built };
      ops.push({ op: 'add', path: pointer, value: built });
      node[key] = structuredClone(built);
      return;
    }
    if (i === path.length - 1) return; // set by the user
    if (!isRecord(child)) return; // not an object: the schema will refuse it; do not guess
    node = child;
    at = pointer;
  }
}

function capabilityNames(container: JsonRecord): string[] {
  const add = arrayAt(recordAt(recordAt(container, 'securityContext'), 'capabilities'), 'add');
  return add.filter((c): c is string => typeof c === 'string').map((c) => c.toUpperCase().replace(/^CAP_/, ''));
}

/**
 * The API server refuses `allowPrivilegeEscalation: false` next to `privileged: true` or an
 * added CAP_SYS_ADMIN; such a container is refused by validation anyway (privileged) or is an
 * explicit choice (SYS_ADMIN), so it gets no default that would turn into a confusing error.
 */
function escalationImplied(container: JsonRecord): boolean {
  return recordAt(container, 'securityContext')?.privileged === true || capabilityNames(container).includes('SYS_ADMIN');
}

/** Defaults for the pod spec at JSON Pointer `base`, appended to `ops`. */
export function podSpecDefaults(ops: JsonPatchOp[], podSpec: JsonRecord, base: string, policy: Policy, namespace: string): void {
  const d = policy.podDefaults;
  const windows = stringAt(recordAt(podSpec, 'os'), 'name') === 'windows';

  if (d.disableServiceAccountTokenAutomount) setDefault(ops, podSpec, base, ['automountServiceAccountToken'], false);
  // seccomp, privilege escalation and capabilities are Linux fields; a Windows pod may not set them.
  if (d.seccompRuntimeDefault && !windows) {
    setDefault(ops, podSpec, base, ['securityContext', 'seccompProfile'], { type: 'RuntimeDefault' });
  }
  const runtimeClass = defaultRuntimeClass(policy, namespace);
  if (runtimeClass !== '') setDefault(ops, podSpec, base, ['runtimeClassName'], runtimeClass);

  if (windows) return;
  for (const list of ['initContainers', 'containers'] as const) {
    arrayAt(podSpec, list).forEach((container, index) => {
      if (!isRecord(container)) return;
      const at = `${base}/${list}/${index}`;
      if (d.disallowPrivilegeEscalation && !escalationImplied(container)) {
        setDefault(ops, container, at, ['securityContext', 'allowPrivilegeEscalation'], false);
      }
      if (d.dropAllCapabilities) setDefault(ops, container, at, ['securityContext', 'capabilities', 'drop'], ['ALL']);
    });
  }
}
