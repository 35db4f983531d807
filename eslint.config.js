// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Nothing under src/ imports the worker's job processors or the CLI (the CLI itself excepted). */
const TOP = {
  group: ['**/worker/**', '**/cli/**'],
  message: 'nothing imports the worker processors or the CLI',
};

/** Import restrictions that keep DESIGN.md's dependency rules true (a later match replaces an earlier one). */
/**
 * @param {string[]} files
 * @param {string[]} group
 * @param {string} message
 * @param {string[]} [ignores]
 */
const layer = (files, group, message, ignores = ['src/cli/**']) => ({
  files,
  ignores,
  rules: {
    'no-restricted-imports': [
      'error',
      { patterns: [TOP, ...(group.length ? [{ group, message }] : [])] },
    ],
  },
});

export default tseslint.config(
  // The forge-API stand-in is a plain Node script run inside a test image, outside the TypeScript project.
  {
    ignores: [
      'dist/',
      'node_modules/',
      '.tandem/',
      'coverage/',
      'migrations/',
      'deploy/stand-ins/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': 'error',
      curly: 'error',
      eqeqeq: 'error',
      'no-nested-ternary': 'error',
    },
  },
  { files: ['src/cli/**', 'test/bench/**'], rules: { 'no-console': 'off' } },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.spec.ts', 'test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  layer(['src/**'], [], ''),
  layer(
    ['src/ingest/**'],
    ['**/llm/**', '**/sandbox/**', '**/git/**', '**/agents/**', '**/workflow/**', '**/memory/**'],
    'HTTP ingestion must not import models, sandboxes, git, agents or memory (DESIGN.md, dependency rules)',
  ),
  layer(
    [
      'src/agents/**',
      'src/planning/**',
      'src/git/**',
      'src/sandbox/**',
      'src/llm/**',
      'src/memory/**',
    ],
    ['**/forge/**', '**/ingest/**', '**/workflow/**'],
    'the pair engine, agents, models and sandboxes never import a forge (DESIGN.md, dependency rules)',
  ),
  layer(
    ['src/forge/github/**'],
    ['**/forge/gitea/**'],
    'forge implementations never import each other',
  ),
  layer(
    ['src/forge/gitea/**'],
    ['**/forge/github/**'],
    'forge implementations never import each other',
  ),
);
