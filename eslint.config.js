// Lint: typescript-eslint's recommended type-aware rules, plus the import directions of design.md §5
// (import-x/no-restricted-paths) and no import cycles (import-x/no-cycle).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const layers = ['lib', 'config', 'cloud', 'workflow', 'queues', 'events', 'api', 'emulator', 'app'];
/** What each layer may import besides itself (design.md §5). */
const allowed = {
  lib: [],
  config: ['lib'],
  cloud: ['lib'],
  workflow: ['lib', 'config', 'cloud'],
  events: ['lib', 'config', 'cloud', 'workflow'],
  queues: ['lib', 'config', 'cloud', 'workflow', 'events'],
  api: ['lib', 'config', 'cloud', 'workflow', 'queues', 'events'],
  emulator: ['lib', 'cloud'],
  app: ['lib', 'config', 'cloud', 'workflow', 'queues', 'events', 'api', 'emulator'],
};
const zones = layers.flatMap((target) =>
  layers
    .filter((from) => from !== target && !allowed[target].includes(from))
    .map((from) => ({
      target: `./src/${target}`,
      from: `./src/${from}`,
      message: `src/${target} must not import src/${from} (design.md §5 dependency direction).`,
    })),
);

export default tseslint.config(
  // test/fixtures/lint/ holds deliberate violations that test/unit/lint/ lints on purpose.
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bin/**', 'test/fixtures/lint/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // import-x only puts a file into its dependency graph (which no-cycle walks) when the file's extension
      // is listed in import-x/extensions and a parser is named for it; without these two settings every .ts
      // import was silently skipped and no-cycle could never fire (test/unit/lint/ guards this).
      // (The preset's legacy 'import-x/resolver' is left out: resolver-next below is the one resolver.)
      'import-x/extensions': importX.flatConfigs.typescript.settings['import-x/extensions'],
      'import-x/external-module-folders': importX.flatConfigs.typescript.settings['import-x/external-module-folders'],
      'import-x/parsers': importX.flatConfigs.typescript.settings['import-x/parsers'],
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones }],
      'import-x/no-cycle': ['error', { maxDepth: 10 }],
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'bullmq', message: 'Only src/queues/ imports bullmq (design.md §5).' }] },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    // bullmq belongs to the queue adapter; benchmarks measure raw BullMQ baselines; tests may drive queues directly.
    files: ['src/queues/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // process.env is read only by src/config (design.md §5); tests, benchmarks and scripts set up processes.
    files: ['src/**/*.ts'],
    ignores: ['src/config/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Only src/config/ reads process.env (design.md §5).' },
      ],
    },
  },
  {
    // Front ends and tools write to the terminal on purpose.
    files: ['src/cli.ts', 'src/cli/**/*.ts', 'src/main.ts', 'bench/**/*.ts', 'scripts/**', 'test/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
