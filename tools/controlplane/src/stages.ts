/**
 * kwok stages of our own (tools/controlplane/stages/*.yaml), loaded next to kwok's: Pod
 * behaviours the tests need that kwok's stages do not give, keyed on annotations of ours.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PACKAGE_DIR } from './paths.ts';

export const STAGES_DIR = join(PACKAGE_DIR, 'stages');

/**
 * A Pod with this annotation ends as a container exiting with that code would end it:
 * `"0"` → phase Succeeded, anything else → phase Failed (stages/pod-exit.yaml).
 */
export const POD_EXIT_CODE_ANNOTATION = 'pod-exit.stage.agent-sandbox.dev/code';
/** How long such a Pod runs before it ends (a Go duration such as `3s`); unset: at once. */
export const POD_EXIT_DELAY_ANNOTATION = 'pod-exit.stage.agent-sandbox.dev/delay';

/** Our stage manifests, as YAML documents to append to kwok's configuration. */
export async function ownStageDocuments(): Promise<string[]> {
  const files = (await readdir(STAGES_DIR)).filter((f) => f.endsWith('.yaml')).sort();
  return Promise.all(files.map((f) => readFile(join(STAGES_DIR, f), 'utf8')));
}
