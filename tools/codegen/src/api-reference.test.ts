import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_REFERENCE_FILE, renderApiReference } from './api-reference.ts';

describe('docs/api-reference.md', () => {
  const rendered = renderApiReference();

  it('is what the schema builders in libs/api give today', () => {
    const current = readFileSync(join(import.meta.dirname, '..', '..', '..', API_REFERENCE_FILE), 'utf8');
    expect(current === rendered, `${API_REFERENCE_FILE} is stale: run npm run generate`).toBe(true);
  });

  it('documents every kind\'s spec and status fields, with defaults and rules', () => {
    for (const kind of ['Sandbox', 'SandboxTemplate', 'SandboxClaim', 'SandboxWarmPool']) {
      expect(rendered).toContain(`## ${kind}\n`);
      expect(rendered).toContain(`### ${kind} \`.spec\``);
      expect(rendered).toContain(`### ${kind} \`.status\``);
    }
    expect(rendered).toMatch(/\| `spec\.shutdownPolicy` \| string \| `"Retain"` \| one of `Delete`, `Retain` \|/);
    expect(rendered).toMatch(/\| `spec\.warmPoolRef\.name` \| string \|[^|]*\| \*\*required\*\*/);
    expect(rendered).toContain('| `status.conditions` | list of metav1.Condition |  | keyed by `type` |');
    // metav1.Condition is described once, after the kinds.
    expect(rendered.match(/^## metav1\.Condition$/gm)).toHaveLength(1);
    expect(rendered).toMatch(/\| `reason` \| string \| {2}\| \*\*required\*\*; length ≥ 1/);
    expect(rendered).not.toContain('status.conditions[].reason');
  });

  it('names an embedded Kubernetes type instead of repeating its fields', () => {
    expect(rendered).toContain('| `spec.podTemplate.spec` | core/v1 PodSpec |');
    expect(rendered).not.toContain('spec.podTemplate.spec.containers');
  });
});
