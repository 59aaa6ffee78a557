/** SandboxWarmPool (extensions.agents.x-k8s.io/v1beta1): N ready Sandboxes of one template. */
import { SANDBOX_WARM_POOL } from '../resources.ts';
import { enumOf, integer, intOrString, object, string, type Infer } from '../schema/builder.ts';
import { conditions } from '../schema/kubernetes.ts';
import { AGE_COLUMN, rootSchema, type KindDefinition, type KindObject } from './kind.ts';
import { SANDBOX_WARM_POOL_DEFAULTS, UPDATE_STRATEGY_TYPES } from './values.ts';

const INT_OR_PERCENT = '^[0-9]+%?$';

export const sandboxWarmPoolSpec = object(
  'How many warm sandboxes of which template to keep, and how to replace them when the template changes.',
  {
    replicas: integer('Warm (unclaimed) sandboxes to keep; 0 means every claim starts cold.', {
      minimum: 0,
      default: SANDBOX_WARM_POOL_DEFAULTS.replicas,
    }),
    sandboxTemplateRef: object(
      'The SandboxTemplate the pool\'s sandboxes are made from.',
      { name: string('Name of the SandboxTemplate in the pool\'s namespace.') },
      { required: ['name'] },
    ),
    updateStrategy: object(
      'What happens to unclaimed members made from an older version of the template.',
      {
        type: enumOf(
          'OnReplenish: keep handing stale members out, make new ones only as members are used; Recreate: delete stale members at once (claims never get them); RollingUpdate [ext]: replace them gradually.',
          UPDATE_STRATEGY_TYPES,
          { default: SANDBOX_WARM_POOL_DEFAULTS.updateStrategyType },
        ),
        rollingUpdate: object('[ext] Pace of a RollingUpdate: Ready members stay at least replicas - maxUnavailable.', {
          maxSurge: intOrString('Members made above replicas during the update: a number or a percentage of replicas.', { pattern: INT_OR_PERCENT }),
          maxUnavailable: intOrString('Ready members that may be missing during the update: a number or a percentage of replicas.', { pattern: INT_OR_PERCENT }),
        }),
      },
      { default: {} },
    ),
    maxReplicas: integer('[ext] Hard ceiling on replicas, enforced by the admission webhook; unset: the cluster policy.', { minimum: 0 }),
  },
  {
    required: ['sandboxTemplateRef'],
    validations: [
      // The cluster-wide ceiling is the webhook's; a pool's own ceiling holds for scale requests too.
      { rule: '!has(self.maxReplicas) || self.replicas <= self.maxReplicas', message: 'replicas must not exceed maxReplicas', fieldPath: '.replicas' },
    ],
  },
);

export const sandboxWarmPoolStatus = object('The observed state of a SandboxWarmPool, written by the warmpool-orchestrator.', {
  replicas: integer('Active (not terminating) members.', { minimum: 0 }),
  readyReplicas: integer('Members whose Sandbox is Ready.', { minimum: 0 }),
  updatedReplicas: integer('[ext] Members made from the current template.', { minimum: 0 }),
  selector: string('Label selector of the members: `agents.x-k8s.io/warm-pool-sandbox=<hash of pool name>`.'),
  observedGeneration: integer('The .metadata.generation this status describes.', { format: 'int64', minimum: 0 }),
  conditions: conditions('[ext] Available and Progressing conditions, one per type.'),
});

export type SandboxWarmPoolSpec = Infer<typeof sandboxWarmPoolSpec>;
export type SandboxWarmPoolStatus = Infer<typeof sandboxWarmPoolStatus>;
export type SandboxWarmPool = KindObject<'extensions.agents.x-k8s.io/v1beta1', 'SandboxWarmPool', typeof sandboxWarmPoolSpec, typeof sandboxWarmPoolStatus>;

export const sandboxWarmPoolDefinition: KindDefinition = {
  resource: SANDBOX_WARM_POOL,
  description: 'SandboxWarmPool: keeps a number of ready Sandboxes of one template for claims to take.',
  schema: rootSchema('SandboxWarmPool: keeps a number of ready Sandboxes of one template for claims to take.', sandboxWarmPoolSpec, sandboxWarmPoolStatus),
  printerColumns: [
    { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas', description: 'Members whose Sandbox is Ready.' },
    { name: 'Desired', type: 'integer', jsonPath: '.spec.replicas', description: 'Warm sandboxes to keep.' },
    AGE_COLUMN,
  ],
  scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' },
};
