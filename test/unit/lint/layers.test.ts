import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';
import { ROOT } from '../../helpers/paths.js';

// The layer rules are enforced by lint: prove each rule fires on a violating file.
const eslint = new ESLint({ cwd: ROOT });

async function messages(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-globals').map((m) => m.message);
}

describe('lint enforces the layers', () => {
  const cases: [string, string, string, RegExp][] = [
    ['agent never imports electron', 'agent/x.ts', "import { app } from 'electron';\nexport const a = app;\n", /must never import electron/],
    ['agent never imports main/', 'agent/x.ts', "import { a } from '../main/y.js';\nexport const b = a;\n", /must not depend on the Electron app/],
    ['renderer never imports Node built-ins', 'renderer/x.ts', "import fs from 'node:fs';\nexport const a = fs;\n", /no Node built-ins/],
    ['renderer never imports bare built-in names', 'renderer/x.ts', "import path from 'path';\nexport const a = path;\n", /no Node built-ins/],
    ['renderer never imports the engine', 'renderer/x.ts', "import { join } from '../agent/join.js';\nexport const a = join;\n", /only agent\/contract/],
    ['renderer never uses process', 'renderer/x.ts', 'export const a = process.env;\n', /process/],
    ['contract imports nothing outside itself', 'agent/contract/x.ts', "import { parse } from 'yaml';\nexport const a = parse;\n", /runtime-free/],
  ];
  for (const [name, file, code, pattern] of cases) {
    it(`invalid: ${name}`, async () => {
      const found = await messages(file, code);
      assert.ok(found.some((m) => pattern.test(m)), `expected ${pattern} in ${JSON.stringify(found)}`);
    });
  }
  it('valid: renderer may import the contract, main may import electron and the agent', async () => {
    assert.deepEqual(await messages('renderer/x.ts', "import { PHASES } from '../agent/contract/index.js';\nexport const a = PHASES;\n"), []);
    assert.deepEqual(await messages('main/x.ts', "import { app } from 'electron';\nimport { join } from '../agent/join.js';\nexport const a = [app, join];\n"), []);
  });
});
