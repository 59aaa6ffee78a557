/** SandboxTemplate (extensions.agents.x-k8s.io/v1beta1): a blueprint plus network and claim policies. */
import { SANDBOX_TEMPLATE } from '../resources.ts';
import { array, enumOf, integer, object, type Infer } from '../schema/builder.ts';
import { conditions, networkPolicyEgressRule, networkPolicyIngressRule } from '../schema/kubernetes.ts';
import { blueprintProperties } from './blueprint.ts';
import { rootSchema, type KindDefinition, type KindObject } from './kind.ts';
import { INJECTION_POLICIES, NETWORK_POLICY_MANAGEMENT, SANDBOX_TEMPLATE_DEFAULTS } from './values.ts';

export const sandboxTemplateSpec = object(
  'The blueprint of the sandboxes made from this template, their network policy, and what a claim may change.',
  {
    ...blueprintProperties,
    networkPolicy: object(
      'Rules of the one NetworkPolicy shared by all sandboxes of this template (an empty list denies). Unset: the secure default (ingress only from the sandbox router, egress only to public addresses).',
      {
        ingress: array('Allowed incoming traffic (networking/v1 NetworkPolicyIngressRule); an empty list denies all.', networkPolicyIngressRule('A rule allowing incoming traffic.'), { listType: 'atomic' }),
        egress: array('Allowed outgoing traffic (networking/v1 NetworkPolicyEgressRule); an empty list denies all.', networkPolicyEgressRule('A rule allowing outgoing traffic.'), { listType: 'atomic' }),
      },
    ),
    networkPolicyManagement: enumOf(
      'Managed: the controller keeps the template\'s NetworkPolicy `<template>-network-policy`; Unmanaged: none is kept (an owned one is deleted).',
      NETWORK_POLICY_MANAGEMENT,
      { default: SANDBOX_TEMPLATE_DEFAULTS.networkPolicyManagement },
    ),
    envVarsInjectionPolicy: enumOf(
      'May a claim set `env`? Allowed: add new variable names only; Overrides: also replace the template\'s; Disallowed: no.',
      INJECTION_POLICIES,
      { default: SANDBOX_TEMPLATE_DEFAULTS.envVarsInjectionPolicy },
    ),
    volumeClaimTemplatesPolicy: enumOf(
      'May a claim add volume claim templates? Allowed: new names only; Overrides: also replace the template\'s by name; Disallowed: no.',
      INJECTION_POLICIES,
      { default: SANDBOX_TEMPLATE_DEFAULTS.volumeClaimTemplatesPolicy },
    ),
  },
  { required: ['podTemplate'] },
);

export const sandboxTemplateStatus = object('[ext] The observed state of a SandboxTemplate, written by the sandbox-controller.', {
  observedGeneration: integer('The .metadata.generation this status describes.', { format: 'int64', minimum: 0 }),
  conditions: conditions('Conditions of the template (e.g. Ready: its NetworkPolicy is in place), one per type.'),
});

export type SandboxTemplateSpec = Infer<typeof sandboxTemplateSpec>;
export type SandboxTemplateStatus = Infer<typeof sandboxTemplateStatus>;
export type SandboxTemplate = KindObject<'extensions.agents.x-k8s.io/v1beta1', 'SandboxTemplate', typeof sandboxTemplateSpec, typeof sandboxTemplateStatus>;

export const sandboxTemplateDefinition: KindDefinition = {
  resource: SANDBOX_TEMPLATE,
  description: 'SandboxTemplate: a reusable sandbox blueprint with its network policy and the rules for claims.',
  schema: rootSchema('SandboxTemplate: a reusable sandbox blueprint with its network policy and the rules for claims.', sandboxTemplateSpec, sandboxTemplateStatus),
  printerColumns: [],
};
