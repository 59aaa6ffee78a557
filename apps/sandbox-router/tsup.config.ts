import { defineConfig } from 'tsup';
import { selfContainedProgramBuild } from '../../tools/build/tsup.base.ts';

// One file, no node_modules beside it: the image carries the bundle alone.
export default defineConfig(selfContainedProgramBuild());
