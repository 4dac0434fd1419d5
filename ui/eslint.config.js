// The UI linter: ESLint's recommended rules, typescript-eslint's and eslint-plugin-svelte's, for
// the app, its tests and the Node scripts (`npm run lint`, part of `make test`).
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

export default ts.config(
  { ignores: ['dist/', 'node_modules/', 'src/bindings/'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: { projectService: true, extraFileExtensions: ['.svelte'], parser: ts.parser, svelteConfig },
    },
  },
  {
    files: ['scripts/**/*.mjs', '../scripts/**/*.mjs', '*.config.js', '*.config.ts'],
    languageOptions: { globals: { ...globals.node } },
  },
);
