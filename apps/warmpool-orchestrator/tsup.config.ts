import { defineConfig } from 'tsup';
import { programBuild } from '../../tools/build/tsup.base.ts';

export default defineConfig(programBuild());
