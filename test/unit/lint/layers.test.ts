import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';
import { ROOT } from '../../helpers/paths.js';

// The layer rules are enforced by lint: prove each rule fires on a violating file, and that
// what a layer may do passes. Files one folder deeper are held to the same rules.
const eslint = new ESLint({ cwd: ROOT });

const RULES = new Set(['no-restricted-imports', '@typescript-eslint/no-restricted-imports', 'no-restricted-globals', 'max-lines', 'boundaries/dependencies']);

async function messages(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId !== null && RULES.has(m.ruleId)).map((m) => m.message);
}

const importing = (what: string, from: string): string => `import { ${what} } from '${from}';\nexport const a = ${what};\n`;

describe('lint enforces the layers', () => {
  const cases: [string, string, string, RegExp][] = [
    ['agent never imports electron', 'agent/x.ts', importing('app', 'electron'), /must never import electron/],
    ['agent never imports main/', 'agent/x.ts', importing('a', '../main/y.js'), /must not depend on the Electron app/],
    ['agent never imports main/, from a subfolder', 'agent/join/x.ts', importing('a', '../../main/y.js'), /must not depend on the Electron app/],
    ['agent never imports renderer/', 'agent/cli/render/x.ts', importing('a', '../../../renderer/y.js'), /must not depend on the Electron app/],
    [
      'the join path never imports client-node statically',
      'agent/join/x.ts',
      importing('KubeConfig', '@kubernetes/client-node'),
      /import\(\) in agent\/admin only/,
    ],
    ['admin loads client-node with import() too', 'agent/admin/x.ts', importing('KubeConfig', '@kubernetes/client-node'), /import\(\) in agent\/admin only/],
    [
      'the join path never imports keytar statically',
      'agent/store/x.ts',
      "import keytar from 'keytar';\nexport const a = keytar;\n",
      /import\(\) in agent\/store only/,
    ],
    ['contract imports nothing outside itself', 'agent/contract/x.ts', importing('parse', 'yaml'), /runtime-free: it may import only files in its own folder/],
    ['contract imports no Node built-in', 'agent/contract/x.ts', "import fs from 'node:fs';\nexport const a = fs;\n", /no Node built-ins/],
    ['main never imports the renderer', 'main/x.ts', importing('a', '../renderer/index.js'), /typed IPC schema/],
    ['main never imports test code', 'main/x.ts', importing('a', '../test/helpers/x.js'), /must not import test code/],
    ['the preload imports no Node built-in', 'main/preload.ts', "import fs from 'node:fs';\nexport const a = fs;\n", /runs sandboxed: no Node built-ins/],
    ['the preload never imports the engine', 'main/preload.ts', importing('join', '../agent/join/engine.js'), /only agent\/contract/],
    ['the preload never imports main-process modules', 'main/preload.ts', importing('a', './app.js'), /may not import main-process modules/],
    ['the preload never uses require', 'main/preload.ts', "export const a = require('fs');\n", /require/],
    ['renderer never imports Node built-ins', 'renderer/x.ts', "import fs from 'node:fs';\nexport const a = fs;\n", /no Node built-ins/],
    ['renderer never imports bare built-in names', 'renderer/x.ts', "import path from 'path';\nexport const a = path;\n", /no Node built-ins/],
    ['renderer never imports electron', 'renderer/x.ts', importing('ipcRenderer', 'electron'), /preload bridge/],
    ['renderer never imports the engine', 'renderer/x.ts', importing('join', '../agent/join/engine.js'), /only agent\/contract/],
    ['renderer never imports the engine, from a subfolder', 'renderer/views/x.ts', importing('join', '../../agent/join/engine.js'), /only agent\/contract/],
    ['renderer never imports main/', 'renderer/views/x.ts', importing('a', '../../main/app.js'), /may not import main/],
    ['renderer never uses process', 'renderer/x.ts', 'export const a = process.env;\n', /process/],
    ['no source file over 300 lines', 'agent/join/x.ts', 'export const a = 1;\n'.repeat(301), /too many lines \(301\)/],
  ];
  for (const [name, file, code, pattern] of cases) {
    it(`invalid: ${name}`, async () => {
      const found = await messages(file, code);
      assert.ok(
        found.some((m) => pattern.test(m)),
        `expected ${pattern} in ${JSON.stringify(found)}`,
      );
    });
  }
  const allowed: [string, string, string][] = [
    ['renderer may import the contract', 'renderer/x.ts', importing('PHASES', '../agent/contract/index.js')],
    [
      'main may import electron and the engine (through agent/index.ts: test/unit/lint/folder-graph.test.ts)',
      'main/x.ts',
      "import { app } from 'electron';\nimport { join } from '../agent/index.js';\nexport const a = [app, join];\n",
    ],
    [
      'the preload may import electron and the IPC schema',
      'main/preload.ts',
      "import { contextBridge } from 'electron';\nimport { IPC } from '../agent/contract/ipc.js';\nexport const a = [contextBridge, IPC];\n",
    ],
    [
      'the join path may import client-node types',
      'agent/join/x.ts',
      "import type { KubeConfig } from '@kubernetes/client-node';\nexport type A = KubeConfig;\n",
    ],
    ['the store may import keytar types', 'agent/store/x.ts', "import type * as Keytar from 'keytar';\nexport type A = typeof Keytar;\n"],
  ];
  for (const [name, file, code] of allowed) {
    it(`valid: ${name}`, async () => {
      assert.deepEqual(await messages(file, code), []);
    });
  }
});
