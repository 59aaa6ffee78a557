/**
 * The Grafana dashboard in deploy/monitoring queries only metrics the programs export: the
 * five control-plane programs run (each with its RBAC) and their /metrics are scraped; every
 * metric name a panel or variable selects (histogram series by their base name) must be among
 * the metric families they declare. So a renamed metric breaks this test, not an SRE's dashboard.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '@agent-sandbox/controlplane';
import { ROOT, startProgram, programSuite, type ProgramProcess, type ProgramSuite } from '../support/programs.ts';

interface Panel {
  title: string;
  type: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}
const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy', 'monitoring', 'grafana-dashboard.json'), 'utf8')) as {
  panels: Panel[];
  templating: { list: Array<{ name: string; query?: string | { query: string } }> };
};

/** Every PromQL expression of the dashboard, with where it is. */
function expressions(): Array<{ where: string; expr: string }> {
  const out: Array<{ where: string; expr: string }> = [];
  const walk = (panels: Panel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) out.push({ where: `panel "${p.title}"`, expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk(dashboard.panels);
  for (const v of dashboard.templating.list) {
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    if (q && v.name !== 'datasource') out.push({ where: `variable $${v.name}`, expr: q });
  }
  return out;
}

/** The metric names an expression selects: by the dashboard's convention, each followed by `{…}` or a range `[…]`. */
function selected(expr: string): string[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)[{[]/g)].map((m) => m[1]!);
}

/** A histogram's or summary's series name → its family (`…_bucket` → `…`). */
function family(name: string, families: Set<string>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) if (name.endsWith(suffix) && families.has(name.slice(0, -suffix.length))) return name.slice(0, -suffix.length);
  return name;
}

let s: ProgramSuite;
const programs: ProgramProcess[] = [];
beforeAll(async () => {
  s = await programSuite('dashboard');
  programs.push(...(await Promise.all([s.start('sandbox-controller'), s.start('claim-controller'), s.start('warmpool-orchestrator'), s.start('ttl-reaper')])));
  // The webhook serves its metrics whether or not the API server calls it: no registration needed.
  programs.push(
    await startProgram('admission-webhook', [`--kubeconfig=${inject('kubeconfig')}`, `--bind-address=127.0.0.1:${await freePort()}`, '--health-probe-bind-address=127.0.0.1:0', '--patch-ca-bundle=false']),
  );
}, 400_000);
afterAll(async () => {
  await programs.at(-1)?.stop();
  await s?.teardown();
}, 120_000);

describe('the Grafana dashboard', () => {
  it('queries only metrics some program exports', async () => {
    const families = new Set<string>();
    const byProgram: Record<string, number> = {};
    for (const p of programs) {
      const text = await p.metrics();
      const declared = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);
      byProgram[p.program] = declared.length;
      for (const name of declared) families.add(name);
    }
    // Not vacuous: each program really answered with its own metrics.
    expect(families).toContain('agent_sandbox_claim_startup_latency_ms');
    expect(families).toContain('agent_sandbox_webhook_reviews_total');
    expect(families).toContain('agent_sandbox_ttl_deadline_lag_seconds');

    const exprs = expressions();
    expect(exprs.length).toBeGreaterThan(15);
    const missing: string[] = [];
    const used = new Set<string>();
    for (const { where, expr } of exprs) {
      const names = selected(expr);
      if (names.length === 0) missing.push(`${where}: selects no metric (write selectors as name{…} or name[…]): ${expr}`);
      for (const name of names) {
        const f = family(name, families);
        used.add(f);
        if (!families.has(f)) missing.push(`${where}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
    // The panels the issue asks for, by the metrics behind them.
    for (const f of [
      'agent_sandbox_claim_startup_latency_ms',
      'agent_sandbox_warm_pool_replicas',
      'agent_sandbox_claim_creation_total',
      'controller_runtime_reconcile_total',
      'controller_runtime_reconcile_errors_total',
      'controller_runtime_reconcile_time_seconds',
      'workqueue_depth',
      'workqueue_queue_duration_seconds',
      'agent_sandbox_ttl_deadline_lag_seconds',
      'agent_sandbox_webhook_review_duration_seconds',
      'agent_sandbox_webhook_reviews_total',
    ]) {
      expect(used, f).toContain(f);
    }
  });

  it('fails on a metric no program exports (the check is not vacuous)', () => {
    expect(selected('sum(rate(agent_sandbox_not_a_metric_total{a="b"}[5m]))')).toEqual(['agent_sandbox_not_a_metric_total']);
    expect(family('workqueue_queue_duration_seconds_bucket', new Set(['workqueue_queue_duration_seconds']))).toBe('workqueue_queue_duration_seconds');
  });
});
