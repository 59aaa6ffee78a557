import { defineConfig } from 'tsup';
import { selfContainedProgramBuild } from '../../tools/build/tsup.base.ts';

// One file with its packages inlined: one copy of each, no module resolution at start, and the
// OpenTelemetry SDK (behind a dynamic import) loaded only when spans are exported.
export default defineConfig(selfContainedProgramBuild());
