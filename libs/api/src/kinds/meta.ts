import type { V1OwnerReference } from '@kubernetes/client-node';

/**
 * metav1.ObjectMeta as it travels on the wire (timestamps are RFC 3339 strings), the way the
 * typed client returns it. Fields this project never reads are left out of the type, not off
 * the wire.
 */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: V1OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
}

/** Any namespaced object of ours: apiVersion, kind and metadata. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}
