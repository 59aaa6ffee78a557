/**
 * The one write that binds a warm member to a claim: a JSON merge patch carrying the member's
 * resourceVersion (the API server refuses it with 409 if anything changed since it was read,
 * so exactly one claim can win a member), moving the controller reference from the pool to
 * the claim, relabelling, recording the Pod's name, and putting the claim's pod metadata on the
 * pod template.
 */
import {
  CLAIM_UID_LABEL,
  controllerRef,
  CREATED_BY_LABEL,
  POD_NAME_ANNOTATION,
  SAFE_TO_EVICT_ANNOTATION,
  TEMPLATE_REF_ANNOTATION,
  templateRefLabels,
  TRACE_CONTEXT_ANNOTATION,
  WARM_POOL_SANDBOX_LABEL,
  withControllerRef,
} from '@agent-sandbox/api';
import type { ClaimObject, SandboxObject } from '../kinds.ts';
import { createdByOf } from './cold-sandbox.ts';

/**
 * `traceContext`: the annotation naming the adopting reconcile's span, so the member's own
 * reconciles (the sandbox-controller's relabelling) join the claim's trace as its children;
 * without it, the claim's own context is carried on.
 */
export function adoptionPatch(claim: ClaimObject, member: SandboxObject, traceContext?: string): Record<string, unknown> {
  const rv = member.metadata.resourceVersion;
  if (!rv) throw new Error('adoptionPatch: the member has no resourceVersion to lock on');
  const extra = claim.spec.additionalPodMetadata ?? {};
  const trace = traceContext ?? claim.metadata.annotations?.[TRACE_CONTEXT_ANNOTATION];
  const templateName = member.metadata.annotations?.[TEMPLATE_REF_ANNOTATION];
  const podAnnotations: Record<string, string | null> = { ...extra.annotations };
  // Members made by earlier versions carry safe-to-evict in their pod template: it goes.
  if (!(SAFE_TO_EVICT_ANNOTATION in podAnnotations) && member.spec.podTemplate?.metadata?.annotations?.[SAFE_TO_EVICT_ANNOTATION] !== undefined) podAnnotations[SAFE_TO_EVICT_ANNOTATION] = null;
  const podLabels = extra.labels && Object.keys(extra.labels).length ? extra.labels : undefined;
  const podMetadata = { ...(podLabels ? { labels: podLabels } : {}), ...(Object.keys(podAnnotations).length ? { annotations: podAnnotations } : {}) };
  return {
    metadata: {
      resourceVersion: rv,
      ownerReferences: withControllerRef(member, controllerRef({ apiVersion: 'extensions.agents.x-k8s.io/v1beta1', kind: 'SandboxClaim', metadata: claim.metadata })),
      labels: {
        [WARM_POOL_SANDBOX_LABEL]: null,
        [CLAIM_UID_LABEL]: claim.metadata.uid!,
        [CREATED_BY_LABEL]: createdByOf(claim),
        ...(templateName ? templateRefLabels(templateName) : {}),
      },
      // The Pod keeps its name: recorded for `kubectl get sandbox -o wide` in the same write.
      annotations: { [POD_NAME_ANNOTATION]: member.metadata.annotations?.[POD_NAME_ANNOTATION] || member.metadata.name!, ...(trace ? { [TRACE_CONTEXT_ANNOTATION]: trace } : {}) },
    },
    // Only a claim's own pod metadata changes the spec (and so the generation): a plain claim
    // leaves the member's status as it is, with no second write from the sandbox-controller.
    ...(Object.keys(podMetadata).length ? { spec: { podTemplate: { metadata: podMetadata } } } : {}),
  };
}
