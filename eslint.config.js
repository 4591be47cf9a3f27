// Lint enforces the layers (as VS Code's `code-layering` does), each rule with a message that
// explains the layer; test/unit/lint proves that every rule fires on a violating file.
//   agent/contract  runtime-free: imports nothing outside itself
//   agent           plain Node: never electron, main or renderer; on the join path, no static
//                   import of the heavy or native modules (@kubernetes/client-node, keytar)
//   main            Electron main process: agent and electron, never renderer
//   main/preload.ts sandboxed preload: only electron and the contract
//   renderer        browser only: no Node built-ins, no electron, only the contract from agent
// Patterns match imports from any depth (`../`, `../../`, …), so a file in a subfolder is held
// to the same rule as one at the top of its layer.
// Inside agent/, the folder graph: which folder may import which, and through which entry files,
// read from each agent/<folder>/README.md at lint time (build/lint/folder-graph.mjs).
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { folderGraphConfig } from './build/lint/folder-graph.mjs';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const noBuiltins = (message) => nodeBuiltins.map((name) => ({ name, message }));

const up = '^(\\.\\./)+';

const electronLayer = {
  group: ['electron', 'electron/*'],
  message: 'agent/ is plain Node and runs headless: it must never import electron (put Electron code in main/).',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/out/**', 'bench/**', '.state/**'] },
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Files stay small because each has one job; the limit catches the ones that grew two.
      'max-lines': ['error', { max: 300, skipBlankLines: false, skipComments: false }],
    },
  },
  {
    files: ['agent/**/*.ts'],
    ignores: ['agent/contract/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [electronLayer, { regex: `${up}(main|renderer)/`, message: 'agent/ must not depend on the Electron app (main/, renderer/).' }],
        },
      ],
    },
  },
  {
    // The join path starts in ~70 ms: these load only where used, through import().
    files: ['agent/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@kubernetes/client-node',
              allowTypeImports: true,
              message: 'load @kubernetes/client-node with import() in agent/admin only: a static import puts it on the join path (cold start, memory).',
            },
            {
              name: 'keytar',
              allowTypeImports: true,
              message: 'load keytar with import() in agent/store only: a static import puts a native addon on every command, keychain or not.',
            },
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
          paths: noBuiltins('agent/contract is runtime-free (the renderer imports it): no Node built-ins.'),
          patterns: [{ regex: '^(?!\\./)', message: 'agent/contract is runtime-free: it may import only files in its own folder.' }],
        },
      ],
    },
  },
  {
    files: ['main/**/*.ts'],
    ignores: ['main/preload.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: `${up}renderer/`, message: 'main/ talks to the renderer only over the typed IPC schema (agent/contract/ipc.ts), never by importing it.' },
            { regex: `${up}test/`, message: 'main/ is shipped: it must not import test code.' },
          ],
        },
      ],
    },
  },
  {
    files: ['main/preload.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: noBuiltins('the preload runs sandboxed: no Node built-ins; expose only what the IPC schema derives.'),
          patterns: [
            { regex: `${up}agent/(?!contract/)`, message: 'the preload runs sandboxed: it may import only agent/contract (the IPC schema), never the engine.' },
            { regex: '^\\./(?!preload)', message: 'the preload runs sandboxed: it may not import main-process modules.' },
            { regex: `${up}renderer/`, message: 'the preload may not import the renderer.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'require', '__dirname', '__filename'],
    },
  },
  {
    files: ['renderer/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: noBuiltins('renderer/ runs in a sandboxed page: no Node built-ins. Ask main/ through the preload bridge.'),
          patterns: [
            { group: ['electron', 'electron/*'], message: 'renderer/ talks to main/ only through the preload bridge (window.kubejoin).' },
            { regex: `${up}agent/(?!contract/)`, message: 'renderer/ may import only agent/contract (runtime-free), never the Node engine.' },
            { regex: `${up}main/`, message: 'renderer/ may not import main/.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'require', 'process', 'Buffer', '__dirname', '__filename'],
    },
  },
  folderGraphConfig(fileURLToPath(new URL('.', import.meta.url))),
  {
    // CommonJS on purpose: preloaded with --require into plain Node to stand in for Electron,
    // or loaded with require() by eslint-module-utils (the folder graph's import resolver).
    files: ['test/helpers/electron-node/*.cjs', 'build/lint/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
