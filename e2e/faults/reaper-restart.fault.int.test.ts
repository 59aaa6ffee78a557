/**
 * The ttl-reaper comes back to 5,000 deadlines that passed while it was down: it acts on every
 * one, at the pace it is given (not all at once against the API server), and on none twice,
 * even when it is stopped again half-way and started once more.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPIRED_AT_ANNOTATION, SANDBOX } from '@agent-sandbox/api';
import type { KubeObject } from '@agent-sandbox/runtime';
import { programSuite, waitUntil, type ProgramProcess, type ProgramSuite } from '../support/programs.ts';
import { pool as inParallel } from '../runtime/helpers.ts';

const COUNT = Number(process.env.REAPER_RESTART_COUNT ?? 5_000);
/** A pace well below what this machine can do, so that it is the pace that binds. */
const SLOW = { rate: 20, burst: 20, forMs: 6_000 };
const WORKERS = 16;

type Obj = KubeObject;

describe(`ttl-reaper restarted with ${COUNT} deadlines passed`, () => {
  let suite: ProgramSuite;
  beforeAll(async () => {
    suite = await programSuite('fault-reaper');
  }, 120_000);
  afterAll(async () => suite?.teardown(), 120_000);

  const actions = (p: ProgramProcess) => p.lines.filter((l) => l.msg === 'deleted the Sandbox at its shutdownTime' || l.msg === 'marked the Sandbox expired');

  it('acts on all of them, paced, none twice', async () => {
    const ns = suite.ns.name;
    const first = await suite.start('ttl-reaper');
    expect(await first.stop()).toBe(0);

    // While it is down: Sandboxes whose shutdownTime has passed (half deleted, half retained).
    const past = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const names = Array.from({ length: COUNT }, (_, i) => `gone-${String(i).padStart(5, '0')}`);
    const policyOf = (i: number) => (i % 2 === 0 ? 'Delete' : 'Retain');
    const created = Date.now();
    await inParallel(names.map((name, i) => ({ name, i })), 16, ({ name, i }) =>
      suite.admin.create(SANDBOX, {
        apiVersion: SANDBOX.apiVersion,
        kind: 'Sandbox',
        metadata: { name, namespace: ns },
        spec: { podTemplate: { spec: { containers: [{ name: 'main', image: 'registry.example/runtime:1' }] } }, shutdownTime: past, shutdownPolicy: policyOf(i) },
      }),
    );
    const createMs = Date.now() - created;

    // Back at a slow pace: all of them are due at once, and it acts on a burst and then at the
    // rate, no faster. Then it is stopped again, mid-way.
    const slow = await suite.start('ttl-reaper', [`--actions-per-second=${SLOW.rate}`, `--action-burst=${SLOW.burst}`, `--workers=${WORKERS}`]);
    const startedAt = Date.now();
    await new Promise((r) => setTimeout(r, SLOW.forMs)); // the window the pace is measured over
    const inWindow = actions(slow).filter((l) => {
      const at = Date.parse(String(l.time)) - startedAt;
      return at > 0 && at <= SLOW.forMs;
    }).length;
    expect(await slow.stop()).toBe(0);
    // A full bucket, the window's refill, and a second's more for actions whose token was taken
    // just before the window and whose write came back in it. Unpaced, this machine does about
    // 50 a second.
    const allowed = SLOW.burst + SLOW.rate * (SLOW.forMs / 1000 + 1);
    expect(inWindow, `actions in the first ${SLOW.forMs} ms`).toBeGreaterThan(SLOW.burst);
    expect(inWindow, `actions in the first ${SLOW.forMs} ms`).toBeLessThanOrEqual(allowed);

    // And again at full pace, to the end.
    const fast = await suite.start('ttl-reaper', ['--actions-per-second=2000', '--action-burst=200', `--workers=${WORKERS}`]);
    const fastAt = Date.now();
    const pending = async () => (await suite.admin.list<Obj>(SANDBOX, { namespace: ns })).items.filter((s) => s.metadata.annotations?.[EXPIRED_AT_ANNOTATION] === undefined).length;
    await waitUntil(`all ${COUNT} acted on`, async () => (await pending()) === 0, 300_000, 1_000);
    const finishMs = Date.now() - fastAt;

    // All: the deleted half is gone, the retained half is marked expired.
    const left = (await suite.admin.list<Obj>(SANDBOX, { namespace: ns })).items;
    expect(left.map((s) => s.metadata.name).sort()).toEqual(names.filter((_, i) => policyOf(i) === 'Retain'));

    // None twice, across the restart: each action that took effect and was answered logs a line
    // naming its object, and counts. A counter moves just before its line is written, so the
    // lines are waited for until they match; then the fast run is stopped, flushing its log. The
    // slow run was stopped with writes in flight: those may have taken effect unanswered (the
    // stop aborts them) and the next run finds them done, so they are in no log; there are at
    // most as many as it had workers.
    const counted = (lines: string[], policy: string) => Number(lines.find((l) => l.startsWith(`agent_sandbox_ttl_actions_total{kind="Sandbox",policy="${policy}"}`))?.split(' ').pop() ?? 0);
    await waitUntil('the fast run\'s log to match its counters', async () => {
      const m = (await fast.metrics()).split('\n');
      return counted(m, 'Delete') + counted(m, 'Retain') === actions(fast).length;
    }, 30_000);
    expect(await fast.stop()).toBe(0);
    const logged = [...actions(slow), ...actions(fast)].map((l) => String(l.name));
    const byName = new Map<string, number>();
    for (const name of logged) byName.set(name, (byName.get(name) ?? 0) + 1);
    expect([...byName].filter(([, n]) => n > 1), 'objects acted on twice').toEqual([]);
    expect([...byName.keys()].filter((name) => !names.includes(name))).toEqual([]);
    expect(logged.length).toBeGreaterThanOrEqual(COUNT - WORKERS);

    console.log(JSON.stringify({ count: COUNT, createMs, slowPace: SLOW, actedInSlowWindow: inWindow, allowedInSlowWindow: allowed, restOfThemMs: finishMs, logged: logged.length }));
  }, 900_000);
});
