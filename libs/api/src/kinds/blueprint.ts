/**
 * SandboxBlueprint: the part of a spec shared by Sandbox and SandboxTemplate (inlined in both),
 * and the volume claim template list a claim may add.
 */
import { array, boolean, object, string, stringMap, type Infer } from '../schema/builder.ts';
import { labelsAndAnnotations, persistentVolumeClaimSpec, podSpec } from '../schema/kubernetes.ts';

export const podTemplate = object(
  'The one Pod of the sandbox. Only the labels and annotations of the metadata are used.',
  {
    metadata: labelsAndAnnotations('Labels and annotations added to the Pod. Keys under agents.x-k8s.io/ and extensions.agents.x-k8s.io/ are reserved and never reach the Pod.'),
    spec: podSpec('The Pod\'s spec (core/v1 PodSpec), validated as the API server validates a Pod\'s.'),
  },
  { required: ['spec'] },
);

export const volumeClaimTemplate = object(
  'A PersistentVolumeClaim made for the sandbox, named `<template name>-<sandbox name>`; a Pod volume of the same name is replaced by it.',
  {
    metadata: object(
      'The claim template\'s name and the labels and annotations of the PVC made from it.',
      {
        // No syntax rule here, as in the standard: a name that cannot make a PVC is reported
        // in a condition (VolumeClaimTemplatesError on a claim, ReconcilerError on a Sandbox).
        name: string('Name of the template: the PVC is called `<name>-<sandbox name>` and replaces the Pod volume called `<name>`.'),
        labels: stringMap('Labels added to the PVC.'),
        annotations: stringMap('Annotations added to the PVC.'),
      },
      { required: ['name'] },
    ),
    spec: persistentVolumeClaimSpec('The PVC\'s spec (core/v1 PersistentVolumeClaimSpec).'),
  },
  { required: ['metadata', 'spec'] },
);

export const volumeClaimTemplates = (description: string) => array(description, volumeClaimTemplate, { listType: 'atomic' });

export const blueprintProperties = {
  podTemplate,
  volumeClaimTemplates: volumeClaimTemplates(
    'PersistentVolumeClaims to make for the sandbox, one each; they outlive the Pod (and stay when the sandbox expires).',
  ),
  service: boolean(
    'true: keep a headless Service named after the sandbox; false: delete a Service the sandbox owns; unset: create none, but keep (and wait for) one that exists.',
  ),
};

export type PodTemplate = Infer<typeof podTemplate>;
export type VolumeClaimTemplate = Infer<typeof volumeClaimTemplate>;
