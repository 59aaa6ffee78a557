import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './paths.ts';
import { generatedFiles, generatedLinks } from './render/chart-files.ts';

/**
 * The chart's generated files are what their sources give today: the RBAC templates from
 * apps/<program>/rbac.yaml, the CRD templates from deploy/crds, the webhook configurations from
 * deploy/webhook, values.yaml / values.schema.json / the README tables from the value
 * declarations, Chart.yaml from the project's version. A hand edit or a changed source without
 * `npm run chart:generate` fails here.
 */
describe('generated chart files', () => {
  const files = generatedFiles();

  it('cover every chart: RBAC for each program, the CRDs, schemas and values everywhere', () => {
    const paths = files.map((f) => f.path);
    for (const program of ['sandbox-controller', 'claim-controller', 'warmpool-orchestrator', 'ttl-reaper', 'admission-webhook']) {
      expect(paths).toContain(`deploy/charts/agent-sandbox/charts/${program}/templates/rbac.yaml`);
      expect(paths).toContain(`deploy/charts/agent-sandbox/charts/${program}/values.schema.json`);
    }
    expect(paths.filter((p) => p.startsWith('deploy/charts/agent-sandbox/charts/crds/templates/'))).toHaveLength(4);
    expect(paths).toContain('deploy/charts/agent-sandbox/values.schema.json');
  });

  it.each(files.map((f) => [f.path, f] as const))('%s is up to date', (path, file) => {
    let current = '';
    try {
      current = readFileSync(join(REPO_ROOT, path), 'utf8');
    } catch {
      // missing: stale
    }
    expect(current === file.content, `${path} is stale: run npm run chart:generate`).toBe(true);
  });

  it.each(generatedLinks().map((l) => [l.path, l] as const))('%s links the library chart', (path, link) => {
    const full = join(REPO_ROOT, path);
    expect(lstatSync(full).isSymbolicLink(), `${path} must be a symbolic link: run npm run chart:generate`).toBe(true);
    expect(readlinkSync(full)).toBe(link.target);
  });
});
