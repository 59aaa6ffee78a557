/** Writes deploy/webhook/ from configurations.ts; `--check` exits 1 when the files are stale. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIGURATIONS_FILE, renderWebhookConfigurations, WEBHOOK_DEPLOY_DIR } from './render.ts';

const file = join(WEBHOOK_DEPLOY_DIR, CONFIGURATIONS_FILE);
const rendered = renderWebhookConfigurations();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (current !== rendered) {
    process.stderr.write(`${file} is stale: run npm run generate -w @agent-sandbox/admission-webhook\n`);
    process.exit(1);
  }
} else {
  mkdirSync(WEBHOOK_DEPLOY_DIR, { recursive: true });
  writeFileSync(file, rendered);
  process.stdout.write(`wrote ${file}\n`);
}
