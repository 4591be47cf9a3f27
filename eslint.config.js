// Lint enforces the layers (as VS Code's `code-layering` does):
//   agent/contract  runtime-free: imports nothing outside itself
//   agent           plain Node: never electron, main or renderer
//   main            Electron main + preload: may import agent and electron
//   renderer        browser only: no Node built-ins, no electron, only the contract from agent
import { builtinModules } from 'node:module';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

const electronLayer = {
  group: ['electron', 'electron/*'],
  message: 'agent/ is plain Node and runs headless: it must never import electron (put Electron code in main/).',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/out/**', 'bench/**', '.state/**'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['agent/**/*.ts'],
    ignores: ['agent/contract/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            electronLayer,
            { group: ['**/main/**', '**/renderer/**'], message: 'agent/ must not depend on the Electron app (main/, renderer/).' },
          ],
        },
      ],
    },
  },
  {
    files: ['agent/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'agent/contract is runtime-free (the renderer imports it): no Node built-ins.' })),
          patterns: [
            { regex: '^(?!\\./)', message: 'agent/contract is runtime-free: it may import only files in its own folder.' },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'renderer/ runs in a sandboxed page: no Node built-ins. Ask main/ through the preload bridge.',
          })),
          patterns: [
            { group: ['electron', 'electron/*'], message: 'renderer/ talks to main/ only through the preload bridge (window.kubejoin).' },
            { regex: '^\\.\\./agent/(?!contract/)', message: 'renderer/ may import only agent/contract (runtime-free), never the Node engine.' },
            { regex: '^\\.\\./main/', message: 'renderer/ may not import main/.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'require', 'process', 'Buffer', '__dirname', '__filename'],
    },
  },
);
