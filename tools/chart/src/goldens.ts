/**
 * Golden renderings of the umbrella chart: default values and each value set in the chart's
 * ci/ folder (the chart-testing convention), compared by chart.test.ts with the checked-in
 * copies in tools/chart/golden/. `npm run chart:goldens` rewrites them after an intended change;
 * review the diff.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { helmOk } from './helm.ts';
import { REPO_ROOT, UMBRELLA_DIR } from './paths.ts';

export const GOLDEN_DIR = join(REPO_ROOT, 'tools', 'chart', 'golden');
export const RELEASE = 'agent-sandbox';
export const NAMESPACE = 'agent-sandbox-system';
/** The Kubernetes version helm renders for (Capabilities), fixed so a helm upgrade cannot move the goldens. */
export const KUBE_VERSION = '1.37.0';

export interface GoldenCase {
  name: string;
  /** A values file under the chart's ci/ folder; none: the defaults. */
  valuesFile?: string;
}

export function goldenCases(): GoldenCase[] {
  const ci = join(UMBRELLA_DIR, 'ci');
  return [
    { name: 'default' },
    ...readdirSync(ci)
      .filter((f) => f.endsWith('-values.yaml'))
      .sort()
      .map((f) => ({ name: f.replace(/-values\.yaml$/, ''), valuesFile: join(ci, f) })),
  ];
}

/** The webhook's chart-made key and certificates are new at every render: golden files hold a placeholder. */
export function withoutGeneratedCertificates(manifests: string): string {
  return manifests.replace(/^(\s*(?:ca\.crt|tls\.crt|tls\.key|caBundle): )[A-Za-z0-9+/=]{64,}$/gm, '$1<generated at install>');
}

/**
 * A CRD's spec is deploy/crds/ copied verbatim (its template is checked against that source by
 * generate.test.ts): golden files keep its metadata and say where the spec comes from.
 */
export function withCrdSpecsElided(manifests: string): string {
  return manifests
    .split(/^---$/m)
    .map((doc) => {
      if (!/^kind: CustomResourceDefinition$/m.test(doc)) return doc;
      const name = /^ {2}name: (\S+)$/m.exec(doc)?.[1];
      return doc.replace(/^spec:\n[\s\S]*$/m, `spec: {} # deploy/crds/${name}.yaml, verbatim\n`);
    })
    .join('---');
}

export function templateArgs(c: GoldenCase): string[] {
  return [
    'template',
    RELEASE,
    UMBRELLA_DIR,
    '--namespace',
    NAMESPACE,
    '--kube-version',
    KUBE_VERSION,
    ...(c.valuesFile ? ['--values', c.valuesFile] : []),
  ];
}

export async function renderGolden(c: GoldenCase): Promise<string> {
  const rendered = await helmOk(templateArgs(c));
  const command = `helm ${templateArgs(c).map((a) => (a.startsWith('/') ? relative(REPO_ROOT, a) : a)).join(' ')}`;
  return `# Golden rendering: ${command}\n# Regenerate with npm run chart:goldens.\n${withCrdSpecsElided(withoutGeneratedCertificates(rendered))}`;
}

export function goldenPath(c: GoldenCase): string {
  return join(GOLDEN_DIR, `${c.name}.yaml`);
}

export function readGolden(c: GoldenCase): string | undefined {
  try {
    return readFileSync(goldenPath(c), 'utf8');
  } catch {
    return undefined;
  }
}

if (import.meta.main) {
  for (const c of goldenCases()) {
    writeFileSync(goldenPath(c), await renderGolden(c));
    console.log(relative(REPO_ROOT, goldenPath(c)));
  }
}
