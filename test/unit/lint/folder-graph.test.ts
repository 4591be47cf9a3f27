import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ESLint } from 'eslint';
import { ROOT } from '../../helpers/paths.js';

// The folder graph (build/lint/folder-graph.mjs) is read from the agent/<folder>/README.md files
// at lint time. Each case lints a scratch copy of the tree (agent/, main/, the lint config and
// its generator) with one change: a forbidden import in a new file, or a README edited. The
// unmodified copy passes; every change fails with a message naming its rule.

const RULES = new Set(['boundaries/dependencies', 'no-restricted-imports']);

interface Copy {
  dir: string;
  write(file: string, code: string): Promise<void>;
  edit(file: string, from: string | RegExp, to: string): Promise<void>;
  lint(...files: string[]): Promise<string[]>;
}

async function scratchCopy(t: { after(fn: () => Promise<void>): void }): Promise<Copy> {
  const dir = await mkdtemp(join(tmpdir(), 'kubejoin-graph-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const path of ['agent', 'main', 'build/lint', 'eslint.config.js', 'package.json']) {
    await cp(join(ROOT, path), join(dir, path), { recursive: true });
  }
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return {
    dir,
    write: (file, code) => writeFile(join(dir, file), code),
    async edit(file, from, to) {
      const before = await readFile(join(dir, file), 'utf8');
      const after = before.replace(from, to);
      assert.notEqual(after, before, `${file}: ${String(from)} not found`);
      await writeFile(join(dir, file), after);
    },
    async lint(...files) {
      const eslint = new ESLint({ cwd: dir, ruleFilter: ({ ruleId }) => RULES.has(ruleId) });
      const results = await eslint.lintFiles(files);
      return results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(dir.length + 1)}:${m.line}: ${m.message}`));
    },
  };
}

const importing = (from: string, type = false): string => `import ${type ? 'type ' : ''}{ a } from '${from}';\nexport const b = a;\n`;

function assertOne(found: string[], pattern: RegExp): void {
  assert.ok(found.length > 0 && found.every((m) => pattern.test(m)), `expected only ${pattern} in ${JSON.stringify(found, null, 1)}`);
}

describe('lint enforces the folder graph of the agent READMEs', () => {
  it('valid: the unmodified tree passes', async (t) => {
    const copy = await scratchCopy(t);
    assert.deepEqual(await copy.lint('agent', 'main'), []);
  });

  // [file, code, rule's message]
  const forbidden: [string, string, string, RegExp][] = [
    [
      'a folder imports a folder its README does not name',
      'agent/transport/scratch.ts',
      importing('../join/engine.js'),
      /\[may import\] agent\/transport may not import agent\/join\/engine\.ts: agent\/transport\/README\.md/,
    ],
    [
      'a folder allowed one file of another imports a second one',
      'agent/transport/scratch.ts',
      importing('../contract/index.js'),
      /\[may import\] agent\/transport may not import agent\/contract\/index\.ts/,
    ],
    ['a type-only import counts', 'agent/protocol/scratch.ts', importing('../transport/http.js', true), /\[may import\] agent\/protocol may not import/],
    [
      'a dynamic import counts',
      'agent/lifecycle/scratch.ts',
      "export const load = () => import('../admin/client.js');\n",
      /\[may import\] agent\/lifecycle may not import agent\/admin\/client\.ts/,
    ],
    ['a re-export counts', 'agent/store/scratch.ts', "export { a } from '../csr/key.js';\n", /\[may import\] agent\/store may not import agent\/csr/],
    ['agent/errors.ts imports only the contract', 'agent/errors.ts', importing('./protocol/token.js'), /\[may import\] agent\/errors\.ts may not import/],
    [
      'a folder imports a file that is not an entry of another',
      'agent/join/scratch.ts',
      importing('../store/fs-atomic.js'),
      /\[entry\] agent\/store\/fs-atomic\.ts is private to agent\/store: import one of its entries/,
    ],
    [
      'a file one folder deeper imports a non-entry',
      'agent/cli/commands/scratch.ts',
      importing('../../transport/connect.js'),
      /\[entry\] agent\/transport\/connect\.ts is private/,
    ],
    [
      'an engine folder imports the CLI',
      'agent/store/scratch.ts',
      importing('../cli/main.js'),
      /\[no upward import\] agent\/store\/scratch\.ts may not import agent\/cli\/main\.ts/,
    ],
    [
      'the CLI imports agent/index.ts',
      'agent/cli/scratch.ts',
      importing('../index.js'),
      /\[no upward import\] agent\/cli\/scratch\.ts may not import agent\/index\.ts/,
    ],
    ['agent/errors.ts imports the CLI', 'agent/errors.ts', importing('./cli/context.js', true), /\[no upward import\] agent\/errors\.ts/],
    [
      'main/ imports an agent folder directly',
      'main/scratch.ts',
      importing('../agent/lifecycle/rotate.js'),
      /\[main via index\] main\/ imports agent\/ only through agent\/index\.ts, not agent\/lifecycle\/rotate\.ts/,
    ],
    ['main/ imports agent/errors.ts', 'main/scratch.ts', importing('../agent/errors.js'), /\[main via index\]/],
    [
      'main/ imports a contract file that is not an entry',
      'main/scratch.ts',
      importing('../agent/contract/phases.js'),
      /\[entry\] agent\/contract\/phases\.ts is private/,
    ],
    ['the layer rules stay: agent never imports electron', 'agent/transport/scratch.ts', importing('electron'), /must never import electron/],
  ];
  for (const [name, file, code, pattern] of forbidden) {
    it(`invalid: ${name}`, async (t) => {
      const copy = await scratchCopy(t);
      await copy.write(file, code);
      assertOne(await copy.lint(file), pattern);
    });
  }

  const allowed: [string, string, string][] = [
    ['a folder imports an entry of a folder it may import', 'agent/join/scratch.ts', importing('../store/select.js')],
    ['a folder imports the one file of a folder it may import', 'agent/transport/scratch.ts', importing('../contract/mask.js')],
    ['agent/index.ts may import the CLI', 'agent/index.ts', importing('./cli/main.js')],
    ['main/ imports agent/index.ts and the contract', 'main/scratch.ts', `${importing('../agent/index.js')}export { c } from '../agent/contract/index.js';\n`],
  ];
  for (const [name, file, code] of allowed) {
    it(`valid: ${name}`, async (t) => {
      const copy = await scratchCopy(t);
      await copy.write(file, code);
      assert.deepEqual(await copy.lint(file), []);
    });
  }
});

describe('the READMEs are the rules', () => {
  it('valid: naming a folder in "may import" allows it', async (t) => {
    const copy = await scratchCopy(t);
    await copy.edit('agent/transport/README.md', '| may import | `errors.ts`, ', '| may import | `join`, `errors.ts`, ');
    await copy.write('agent/transport/scratch.ts', importing('../join/engine.js'));
    assert.deepEqual(await copy.lint('agent/transport/scratch.ts'), []);
  });

  it('invalid: a folder dropped from "may import" fails the files that import it', async (t) => {
    const copy = await scratchCopy(t);
    await copy.edit('agent/csr/README.md', '| may import | `transport`, ', '| may import | ');
    assertOne(await copy.lint('agent/csr'), /\[may import\] agent\/csr may not import agent\/transport\/.*agent\/csr\/README\.md/);
  });

  it('invalid: a file dropped from the "entry" rows fails the folders that import it', async (t) => {
    const copy = await scratchCopy(t);
    await copy.edit('agent/transport/README.md', /^\| entry \| `retry\.ts` \|.*\n/m, '');
    assertOne(await copy.lint('agent/csr', 'agent/discovery'), /\[entry\] agent\/transport\/retry\.ts is private to agent\/transport/);
  });

  it('invalid: a README without its "may import" row stops lint with what to add', async (t) => {
    const copy = await scratchCopy(t);
    await copy.edit('agent/doctor/README.md', /^\| may import \|.*\n/m, '');
    await assert.rejects(copy.lint('agent/doctor'), /agent\/doctor\/README\.md needs exactly one "\| may import \| … \|" row/);
  });

  it('invalid: an entry that is not a file of the folder stops lint', async (t) => {
    const copy = await scratchCopy(t);
    await copy.edit('agent/doctor/README.md', '| entry | `index.ts` |', '| entry | `run.ts` |');
    await assert.rejects(copy.lint('agent/doctor'), /names the entry `run\.ts`, which is not a file in agent\/doctor/);
  });

  it('invalid: a README may not allow an upward import', async (t) => {
    const copy = await scratchCopy(t);
    await copy.edit('agent/store/README.md', '| may import | `protocol`, ', '| may import | `cli`, `protocol`, ');
    await assert.rejects(copy.lint('agent/store'), /agent\/cli and agent\/index\.ts are above every folder/);
  });
});

// Each temporary exception lets exactly its own edge through, and without it that edge fails.
const generator = pathToFileURL(join(ROOT, 'build/lint/folder-graph.mjs')).href;
const { TEMPORARY_EXCEPTIONS } = (await import(generator)) as { TEMPORARY_EXCEPTIONS: { from: string; to: string }[] };
describe('the temporary exceptions of the folder graph', () => {
  for (const { from, to } of TEMPORARY_EXCEPTIONS) {
    const file = `agent/${from}/scratch.ts`;
    const edge = importing(`../${to.replace(/\.ts$/, '.js')}`, true);
    it(`valid: agent/${from} may import agent/${to} while it is listed`, async (t) => {
      const copy = await scratchCopy(t);
      await copy.write(file, edge);
      assert.deepEqual(await copy.lint(file), []);
    });
    it(`invalid: agent/${from} imports another file of the same folder`, async (t) => {
      const copy = await scratchCopy(t);
      const [folder] = to.split('/');
      await copy.write(file, importing(`../${folder}/no-such-exception.js`, true));
      await copy.write(`agent/${folder}/no-such-exception.ts`, 'export type a = 1;\n');
      assertOne(await copy.lint(file), /\[may import\]|\[entry\]/);
    });
    it(`invalid: agent/${from} → agent/${to} once the entry is deleted`, async (t) => {
      const copy = await scratchCopy(t);
      await copy.edit('build/lint/folder-graph.mjs', `{ from: '${from}', to: '${to}' },`, '');
      await copy.write(file, edge);
      assertOne(await copy.lint(file), /\[may import\] agent\/.* may not import agent\//);
    });
  }
});
