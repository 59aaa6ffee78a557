/**
 * `npm run helm -- <helm arguments>`: the pinned helm (built into the cache on first use).
 * `npm run -s helm -- --binary-path` prints where the binary is, for scripts that call it directly.
 */
import { spawnSync } from 'node:child_process';
import { ensureHelm } from './helm-binary.ts';

const { helm } = await ensureHelm((line) => console.error(line));
const args = process.argv.slice(2);
if (args[0] === '--binary-path') {
  console.log(helm);
} else {
  const result = spawnSync(helm, args, { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
