// @ts-check
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Module boundaries by tag. Every project carries exactly one `type:` tag and one
 * `scope:` tag (see each package.json "nx.tags"):
 *   type:app   a deployable program: may use libraries only (never another app)
 *   type:lib   shared code: may use other libraries only (never an app or a tool)
 *   type:tool  developer tooling (local control plane, benchmarks): libraries and tools
 *   type:e2e   end-to-end suites: libraries and tools
 *   scope:model  libs/api: the models every program shares; depends on nothing of ours
 *                that carries behaviour (no runtime, no telemetry)
 */
export const depConstraints = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
  { sourceTag: 'scope:model', onlyDependOnLibsWithTags: ['scope:model'] },
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.nx/**', 'tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: globals.node } },
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        { enforceBuildableLibDependency: false, allow: [], depConstraints },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    // Build configuration shares one recipe from the workspace root; it is not program code.
    files: ['**/tsup.config.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    // One write path: the controllers write only through the runtime's Writer (a locked merge
    // patch, an owned create carrying the trace context, a preconditioned delete, server-side
    // apply), never with the raw client. Tests write as the administrator. Not controllers: the
    // admission webhook (no Manager; one write, a JSON patch with test guards on its own
    // configuration) and the data plane (the router's only POSTs are TokenReviews and
    // SubjectAccessReviews, questions rather than writes; the in-sandbox runtime has no client).
    files: ['apps/*/src/**/*.ts'],
    ignores: ['**/*.test.ts', 'apps/admission-webhook/**', 'apps/sandbox-router/**', 'apps/sandbox-runtime/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.property.name=/^(create|patch|replace|delete|request)$/][callee.object.name='client']",
          message: 'Write through manager.writer (patch, patchStatus, apply, applyStatus, create, delete), not the raw client.',
        },
        {
          selector: "CallExpression[callee.property.name=/^(create|patch|replace|delete|request)$/][callee.object.property.name='client']",
          message: 'Write through manager.writer (patch, patchStatus, apply, applyStatus, create, delete), not the raw client.',
        },
      ],
    },
  },
  {
    // Developer tooling talks to a terminal.
    files: ['tools/**/*.ts', 'e2e/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
