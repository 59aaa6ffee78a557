/**
 * `npm run observability:build`: builds the pinned Jaeger and promtool into the cache (a no-op
 * when they are there), printing how long each took; CI runs it up front so its time shows apart.
 */
import { ensureJaeger, ensurePromtool } from './go-tools.ts';

const say = (line: string) => process.stderr.write(`observability: ${line}\n`);
await ensurePromtool(say);
await ensureJaeger(say);
