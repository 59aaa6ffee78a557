/**
 * Regenerates the checked-in artifacts that come from libs/api: deploy/crds/*.yaml and
 * docs/api-reference.md.
 * (The embedded Kubernetes schemas come from a live API server: see k8s-schemas/import.ts.)
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CRD_DIR, renderCrds } from '@agent-sandbox/api/crds';
import { API_REFERENCE_FILE, renderApiReference } from './api-reference.ts';

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

const reference = join(import.meta.dirname, '..', '..', '..', API_REFERENCE_FILE);
mkdirSync(join(reference, '..'), { recursive: true });
writeFileSync(reference, renderApiReference());
console.log(API_REFERENCE_FILE);
