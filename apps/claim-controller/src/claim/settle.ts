/**
 * Step 2, warm: a reservation settled. The reserved member is taken in one write (adoption.ts:
 * the controller reference moved from the pool to the claim, locked on the member's
 * resourceVersion, so exactly one claim can win it), or shown by a fresh read to be gone or
 * someone else's ('void'), after which the claim may reserve another.
 */
import { controllerOf, isConflict, isNotFound, type ReconcileContext } from '@agent-sandbox/runtime';
import { traceContextAnnotation } from '@agent-sandbox/telemetry';
import { SandboxKind, type ClaimObject, type PoolObject, type SandboxObject } from '../kinds.ts';
import { adoptionPatch } from './adoption.ts';
import { isOurs, readSandbox, type ClaimSteps } from './steps.ts';

/** Takes `member` for `claim` in one write; the member as written, or undefined when it changed meanwhile. */
async function adopt(steps: ClaimSteps, claim: ClaimObject, member: SandboxObject, ctx: ReconcileContext): Promise<SandboxObject | undefined> {
  const { state } = steps;
  const key = `${member.metadata.namespace}/${member.metadata.name}`;
  state.inFlight.add(key);
  try {
    const taken = await steps.writer.patch<SandboxObject>(SandboxKind, member, adoptionPatch(claim, member, traceContextAnnotation()), { signal: ctx.signal });
    state.bound.set(claim.metadata.uid!, key);
    return taken;
  } catch (err) {
    if (isConflict(err) || isNotFound(err)) {
      // Another claim (or the pool) changed the member first: this claim lost it.
      ctx.span.addEvent('adoption lost', { 'agent_sandbox.sandbox.name': member.metadata.name!, 'http.response.status_code': (err as { code?: number }).code ?? 0 });
      return undefined;
    }
    throw err;
  } finally {
    state.taken.set(key, member.metadata.resourceVersion!);
    state.inFlight.delete(key);
  }
}

/**
 * Follows a warm reservation to its end: bound (ours), or proof that it never can be (the
 * member is gone or controlled by someone else), after which another may be reserved.
 * `first` is the member as the cache shows it, when the reservation was just made from it.
 */
export async function settleReservation(steps: ClaimSteps, claim: ClaimObject, pool: PoolObject, name: string, ctx: ReconcileContext, first?: SandboxObject): Promise<SandboxObject | 'void'> {
  const namespace = claim.metadata.namespace!;
  let current = first;
  for (let i = 0; i < 4; i++) {
    current ??= await readSandbox(steps, namespace, name, ctx.signal);
    if (!current) return 'void';
    if (isOurs(current, claim)) return current;
    if (controllerOf(current)?.uid !== pool.metadata.uid || current.metadata.deletionTimestamp) return 'void';
    const taken = await adopt(steps, claim, current, ctx);
    if (taken) {
      ctx.span.setAttributes({ 'agent_sandbox.claim.launch': 'warm', 'agent_sandbox.adoption.outcome': 'won', 'agent_sandbox.sandbox.name': name });
      steps.events.event(claim, 'Normal', 'SandboxAdopted', `took warm Sandbox ${name} from pool ${pool.metadata.name}`);
      steps.metrics.creations.inc({ namespace, launch_type: 'warm' });
      return taken;
    }
    current = undefined; // changed meanwhile: read it again
  }
  throw new Error(`Sandbox ${name} keeps changing; retrying`);
}
