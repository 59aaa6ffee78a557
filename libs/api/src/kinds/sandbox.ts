/** Sandbox (agents.x-k8s.io/v1beta1): one Pod, optionally a headless Service and PVCs. */
import { POD_NAME_ANNOTATION } from '../keys.ts';
import { SANDBOX } from '../resources.ts';
import { array, dateTime, enumOf, object, string, type Infer } from '../schema/builder.ts';
import { conditions } from '../schema/kubernetes.ts';
import { blueprintProperties, volumeClaimTemplates } from './blueprint.ts';
import { AGE_COLUMN, readyColumns, rootSchema, type KindDefinition, type KindObject } from './kind.ts';
import { OPERATING_MODES, SANDBOX_DEFAULTS, SHUTDOWN_POLICIES } from './values.ts';

const IMMUTABLE_VOLUME_CLAIM_TEMPLATES = 'volumeClaimTemplates is immutable';

export const sandboxSpec = object(
  'The desired state of a Sandbox: its blueprint (Pod, PVCs, Service), lifetime and operating mode.',
  {
    ...blueprintProperties,
    volumeClaimTemplates: volumeClaimTemplates(
      'PersistentVolumeClaims to make for the sandbox, one each; they outlive the Pod (and stay when the sandbox expires). Immutable: set only at creation.',
    ),
    shutdownTime: dateTime('Absolute time (RFC 3339) at which the sandbox expires; unset: never.'),
    shutdownPolicy: enumOf(
      'What happens at shutdownTime. The Pod and Service always go and PVCs stay; Delete also deletes the Sandbox, Retain keeps it (not Ready, reason SandboxExpired).',
      SHUTDOWN_POLICIES,
      { default: SANDBOX_DEFAULTS.shutdownPolicy },
    ),
    operatingMode: enumOf(
      'Running keeps the Pod; Suspended deletes the Pod but keeps the Sandbox, its PVCs and Service. Back to Running recreates the Pod with the same name and PVCs.',
      OPERATING_MODES,
      { default: SANDBOX_DEFAULTS.operatingMode },
    ),
  },
  {
    required: ['podTemplate'],
    validations: [
      // On the spec, not the field: a rule on the field runs only while the field exists in
      // both versions, and adding or removing the list is a change too.
      {
        rule: 'has(self.volumeClaimTemplates) == has(oldSelf.volumeClaimTemplates) && (!has(self.volumeClaimTemplates) || self.volumeClaimTemplates == oldSelf.volumeClaimTemplates)',
        message: IMMUTABLE_VOLUME_CLAIM_TEMPLATES,
        fieldPath: '.volumeClaimTemplates',
      },
    ],
  },
);

export const sandboxStatus = object('The observed state of a Sandbox, written by the sandbox-controller. An expired Sandbox keeps only its conditions.', {
  conditions: conditions('Ready, Suspended (always present), PodScheduled (while a Pod exists) and Finished conditions, one per type.'),
  service: string('Name of the headless Service (the sandbox\'s name), or empty.'),
  serviceFQDN: string('`<service>.<namespace>.svc.<cluster domain>`, or empty without a Service.'),
  selector: string('Label selector of the sandbox\'s Pod: `agents.x-k8s.io/sandbox-name-hash=<hash>`.'),
  podIPs: array('The Pod\'s IP addresses while the sandbox owns a Pod.', string('An IP address.'), { listType: 'atomic' }),
  nodeName: string('The node of the Pod while the sandbox owns a Pod.'),
});

export type SandboxSpec = Infer<typeof sandboxSpec>;
export type SandboxStatus = Infer<typeof sandboxStatus>;
export type Sandbox = KindObject<'agents.x-k8s.io/v1beta1', 'Sandbox', typeof sandboxSpec, typeof sandboxStatus>;

export const sandboxDefinition: KindDefinition = {
  resource: SANDBOX,
  description: 'Sandbox: an isolated, stateful, singleton workload (one Pod) with a stable identity, optional headless Service and persistent volumes.',
  schema: rootSchema('Sandbox: one Pod with a stable identity, optional headless Service and PVCs.', sandboxSpec, sandboxStatus),
  printerColumns: [
    ...readyColumns('sandbox'),
    AGE_COLUMN,
    {
      name: 'Pod',
      type: 'string',
      jsonPath: `.metadata.annotations.${POD_NAME_ANNOTATION.replaceAll('.', '\\.')}`,
      description: 'Name of the backing Pod, recorded when a claim creates or takes the sandbox (otherwise the Pod has the sandbox\'s name).',
      priority: 1,
    },
    { name: 'Node', type: 'string', jsonPath: '.status.nodeName', description: 'Node of the backing Pod.', priority: 1 },
  ],
};
