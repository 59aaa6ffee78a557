/** SandboxClaim (extensions.agents.x-k8s.io/v1beta1): a request for a sandbox from a warm pool. */
import { SANDBOX_CLAIM } from '../resources.ts';
import { array, dateTime, enumOf, integer, object, string, stringMap, type Infer } from '../schema/builder.ts';
import { conditions } from '../schema/kubernetes.ts';
import { volumeClaimTemplates } from './blueprint.ts';
import { AGE_COLUMN, rootSchema, type KindDefinition, type KindObject } from './kind.ts';
import { CLAIM_SHUTDOWN_POLICIES, SANDBOX_CLAIM_DEFAULTS } from './values.ts';

export const sandboxClaimSpec = object(
  'What the claim asks for: the pool to take a sandbox from, its lifetime, and additions to the sandbox.',
  {
    warmPoolRef: object(
      'The SandboxWarmPool to take a sandbox from; the template is the pool\'s. Immutable.',
      { name: string('Name of the SandboxWarmPool in the claim\'s namespace.') },
      { required: ['name'] },
    ),
    lifecycle: object('When the claim expires and what happens then.', {
      shutdownTime: dateTime('Absolute time (RFC 3339) at which the claim expires.'),
      ttlSecondsAfterFinished: integer(
        'The claim expires this many seconds after its sandbox Finished; with shutdownTime also set, the earlier wins.',
        { minimum: 0 },
      ),
      shutdownPolicy: enumOf(
        'At expiry: Delete deletes the claim (background cascade), DeleteForeground deletes it in the foreground (visible until its children are gone), Retain keeps the claim and deletes only its Sandbox.',
        CLAIM_SHUTDOWN_POLICIES,
        { default: SANDBOX_CLAIM_DEFAULTS.shutdownPolicy },
      ),
    }),
    additionalPodMetadata: object(
      'Labels and annotations added to the sandbox\'s Pod. Label keys must use an allowed domain (default sandbox.users.io and subdomains); annotation keys under kubernetes.io, k8s.io and agents.x-k8s.io are refused except cluster-autoscaler.kubernetes.io/safe-to-evict; no key may change a value the template sets.',
      {
        labels: stringMap('Labels added to the Pod.'),
        annotations: stringMap('Annotations added to the Pod.'),
      },
    ),
    env: array(
      'Environment variables for the sandbox\'s containers, as far as the template\'s envVarsInjectionPolicy allows. Forces a cold start.',
      object(
        'One environment variable.',
        {
          name: string('Name of the variable; one the template\'s containers cannot take is answered with EnvVarsInjectionRejected.'),
          value: string('Value of the variable.'),
          containerName: string('The container to set it in; unset: the first main container.'),
        },
        { required: ['name', 'value'] },
      ),
      { listType: 'atomic' },
    ),
    volumeClaimTemplates: volumeClaimTemplates(
      'Extra PersistentVolumeClaims, as far as the template\'s volumeClaimTemplatesPolicy allows (added, or replacing the template\'s by name). Forces a cold start. An empty or repeated name is answered with VolumeClaimTemplatesError.',
    ),
  },
  {
    required: ['warmPoolRef'],
    validations: [
      { rule: 'self.warmPoolRef == oldSelf.warmPoolRef', message: 'warmPoolRef is immutable', fieldPath: '.warmPoolRef' },
    ],
  },
);

export const sandboxClaimStatus = object('The observed state of a SandboxClaim, written by the claim-controller.', {
  sandbox: object('The Sandbox bound to this claim.', {
    name: string('Name of the bound Sandbox: the claim\'s own name when started cold, a pool member\'s when warm.'),
    podIPs: array('The sandbox Pod\'s IP addresses, mirrored from the Sandbox.', string('An IP address.'), { listType: 'atomic' }),
  }),
  conditions: conditions('Ready (forwarded from the Sandbox or a claim reason) and Finished (mirrored) conditions, one per type.'),
});

export type SandboxClaimSpec = Infer<typeof sandboxClaimSpec>;
export type SandboxClaimStatus = Infer<typeof sandboxClaimStatus>;
export type ClaimEnvVar = NonNullable<SandboxClaimSpec['env']>[number];
export type SandboxClaim = KindObject<'extensions.agents.x-k8s.io/v1beta1', 'SandboxClaim', typeof sandboxClaimSpec, typeof sandboxClaimStatus>;

export const sandboxClaimDefinition: KindDefinition = {
  resource: SANDBOX_CLAIM,
  description: 'SandboxClaim: a request for a sandbox, served warm from a SandboxWarmPool or started cold from its template.',
  schema: rootSchema('SandboxClaim: a request for a sandbox from a SandboxWarmPool.', sandboxClaimSpec, sandboxClaimStatus),
  printerColumns: [
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'Whether the claimed sandbox is Ready.' },
    { name: 'Sandbox', type: 'string', jsonPath: '.status.sandbox.name', description: 'Name of the bound Sandbox.' },
    { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', description: 'Why the claim is or is not Ready.' },
    AGE_COLUMN,
  ],
};
