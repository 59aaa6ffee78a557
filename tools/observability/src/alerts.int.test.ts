/**
 * The PrometheusRule in deploy/monitoring, checked by the pinned promtool: its spec is a valid
 * rule file (`check rules`, which also lints), and every alert fires on the series of
 * alerts.test.yaml meant to fire it and stays silent on the others (`test rules`). And every
 * alert carries a runbook.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ensurePromtool } from './go-tools.ts';

const run = promisify(execFile);
const MONITORING = join(import.meta.dirname, '..', '..', '..', 'deploy', 'monitoring');
const EXPECTED_ALERTS = ['AgentSandboxWarmPoolExhausted', 'AgentSandboxClaimStartupSlow', 'AgentSandboxReaperLagging', 'AgentSandboxWebhookErrors', 'AgentSandboxLeaderMissing'];

interface Rule {
  alert?: string;
  expr: string;
  annotations?: Record<string, string>;
}
const rule = parse(readFileSync(join(MONITORING, 'prometheus-rule.yaml'), 'utf8')) as { kind: string; spec: { groups: Array<{ name: string; rules: Rule[] }> } };
const alerts = rule.spec.groups.flatMap((g) => g.rules).filter((r) => r.alert);

let promtool: string;
let dir: string;
beforeAll(async () => {
  promtool = (await ensurePromtool()).bin;
  dir = mkdtempSync(join(tmpdir(), 'alerts-'));
  writeFileSync(join(dir, 'alerts.rules.yaml'), stringify({ groups: rule.spec.groups }));
  // promtool compares annotations whole: where a test gives none, expect the rule's own with
  // its $labels filled in from the expected labels (the pool test spells them out, so the
  // templating itself is checked by promtool once).
  const tests = parse(readFileSync(join(MONITORING, 'alerts.test.yaml'), 'utf8')) as { tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: Array<{ exp_labels: Record<string, string>; exp_annotations?: Record<string, string> }> }> }> };
  for (const t of tests.tests) {
    for (const e of t.alert_rule_test ?? []) {
      const annotations = alerts.find((a) => a.alert === e.alertname)?.annotations ?? {};
      for (const exp of e.exp_alerts) {
        exp.exp_annotations ??= Object.fromEntries(
          Object.entries(annotations).map(([k, v]) => [k, v.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_m, label: string) => exp.exp_labels[label] ?? '')]),
        );
      }
    }
  }
  writeFileSync(join(dir, 'alerts.test.yaml'), stringify(tests));
}, 900_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the alerting rules', () => {
  it('are the ones the runbooks promise, each with a summary and a runbook', () => {
    expect(rule.kind).toBe('PrometheusRule');
    expect(alerts.map((a) => a.alert).sort()).toEqual([...EXPECTED_ALERTS].sort());
    for (const a of alerts) {
      expect(a.annotations?.summary, a.alert).toBeTruthy();
      expect(a.annotations?.runbook?.split('\n').length, a.alert).toBeGreaterThan(2);
    }
  });

  it('pass promtool check rules', async () => {
    const { stdout } = await run(promtool, ['check', 'rules', join(dir, 'alerts.rules.yaml')]);
    expect(stdout).toContain(`SUCCESS: ${alerts.length} rules found`);
  });

  it('fire on the series meant to fire them and on no others (promtool test rules)', async () => {
    const result = await run(promtool, ['test', 'rules', join(dir, 'alerts.test.yaml')]).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`promtool test rules failed:\n${err.stdout}\n${err.stderr}`);
    });
    expect(result.stdout).toContain('SUCCESS');
    // Every alert is tested both ways: some eval expects it, and some eval expects silence.
    const tests = parse(readFileSync(join(dir, 'alerts.test.yaml'), 'utf8')) as { tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }> };
    const evals = tests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const name of EXPECTED_ALERTS) {
      expect(evals.some((e) => e.alertname === name && e.exp_alerts.length > 0), `${name} fires somewhere`).toBe(true);
      expect(evals.some((e) => e.alertname === name && e.exp_alerts.length === 0), `${name} stays silent somewhere`).toBe(true);
    }
  });

  it('fail promtool when an alert is broken (the check is not vacuous)', async () => {
    const broken = structuredClone(rule.spec.groups);
    broken[0]!.rules[0]!.expr = 'sum by (pool) (agent_sandbox_warm_pool_replicas{state="ready"} == 0';
    writeFileSync(join(dir, 'broken.rules.yaml'), stringify({ groups: broken }));
    await expect(run(promtool, ['check', 'rules', join(dir, 'broken.rules.yaml')])).rejects.toMatchObject({ code: 1 });
  });
});
