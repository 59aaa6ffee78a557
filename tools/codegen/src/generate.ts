/**
 * Regenerates the checked-in artifacts that come from libs/api: deploy/crds/*.yaml.
 * (The embedded Kubernetes schemas come from a live API server: see k8s-schemas/import.ts.)
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CRD_DIR, renderCrds } from '@agent-sandbox/api/crds';

mkdirSync(CRD_DIR, { recursive: true });
const rendered = renderCrds();
const wanted = new Set(rendered.map((r) => r.fileName));
for (const file of readdirSync(CRD_DIR)) {
  if (file.endsWith('.yaml') && !wanted.has(file)) rmSync(join(CRD_DIR, file));
}
for (const { fileName, content } of rendered) {
  writeFileSync(join(CRD_DIR, fileName), content);
  console.log(`${join('deploy/crds', fileName)} (${Math.round(content.length / 1024)} KiB)`);
}
