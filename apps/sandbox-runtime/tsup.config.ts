import { defineConfig } from 'tsup';
import { selfContainedProgramBuild } from '../../tools/build/tsup.base.ts';

// Runs inside every sandbox's image: one file, no node_modules beside it.
export default defineConfig(selfContainedProgramBuild());
