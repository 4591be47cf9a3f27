// The folder graph of agent/, enforced by `npm run lint` (eslint-plugin-boundaries). Its rules
// are read from the folders' own READMEs at lint time, so a README and lint cannot disagree:
// each agent/<folder>/README.md has, in its "Imports" table,
//   | may import | `protocol`, `errors.ts`, `contract/mask.ts` | … |   the agent folders (or one
//                                                                     entry file of one) it imports
//   | entry      | `index.ts`                                   | … |   a file other folders may import
// The rules (docs/architecture.md, "The layering rule"), each message starting with its name:
//   [may import]        a folder imports only what its README's "may import" row names
//   [entry]             from another folder, only a folder's entry files
//   [no upward import]  nothing in agent/ imports agent/index.ts; only agent/index.ts imports agent/cli
//   [main via index]    main/ imports agent/ only through agent/index.ts (and the contract)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import boundaries from 'eslint-plugin-boundaries';

// Known violations that are being removed: each entry lets exactly one import edge through until
// the import is gone; then delete the entry. Never add one to avoid fixing a README.
export const TEMPORARY_EXCEPTIONS = [];

// agent/errors.ts is the one shared file at the top of agent/: it may import only the contract.
const ERRORS_MAY_IMPORT = ['contract'];
// main/ reaches the engine only through agent/index.ts. The runtime-free contract it may import
// directly (the preload, bundled alone and sandboxed, may import nothing else).
const MAIN_MAY_IMPORT = ['contract'];
// main/ files bundled on their own (build/bundle.mjs) import the one agent file they run, so that
// their bundle does not carry the whole engine that agent/index.ts re-exports.
const MAIN_OWN_BUNDLES = [{ from: 'keychain-helper.ts', to: 'store/keytar-serve.ts' }];
// Above every engine folder: imported by nothing in agent/ (agent/index.ts may import cli).
const TOP = 'cli';

const ROW = /^\|\s*(may import|entry)\s*\|([^|]*)\|/;
const names = (cell) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
const anyOf = (list) => (list.length === 1 ? list[0] : `{${list.join(',')}}`);

/** Reads agent/<folder>/README.md of every folder: what it may import and its entry files. */
export function readFolderGraph(root) {
  const agent = join(root, 'agent');
  const folders = readdirSync(agent).filter((f) => statSync(join(agent, f)).isDirectory());
  const graph = new Map();
  for (const folder of folders) {
    const readme = join(agent, folder, 'README.md');
    if (!existsSync(readme)) throw new Error(`agent/${folder} has no README.md: every agent folder declares its imports there (docs/architecture.md).`);
    const rows = readFileSync(readme, 'utf8')
      .split('\n')
      .map((line) => ROW.exec(line))
      .filter(Boolean);
    const mayImport = rows.filter((r) => r[1] === 'may import');
    if (mayImport.length !== 1) {
      throw new Error(`agent/${folder}/README.md needs exactly one "| may import | … |" row in its Imports table (found ${mayImport.length}).`);
    }
    const entries = rows.filter((r) => r[1] === 'entry').flatMap((r) => names(r[2]));
    for (const entry of entries) {
      if (!existsSync(join(agent, folder, entry)))
        throw new Error(`agent/${folder}/README.md names the entry \`${entry}\`, which is not a file in agent/${folder}.`);
    }
    graph.set(folder, { mayImport: names(mayImport[0][2]), entries });
  }
  for (const [folder, { mayImport }] of graph) {
    for (const name of mayImport) {
      const [target, file] = name.split('/');
      const known = name === 'errors.ts' || (graph.has(target) && (!file || graph.get(target).entries.includes(file)));
      if (!known) throw new Error(`agent/${folder}/README.md may import \`${name}\`: not an agent folder, errors.ts, or an entry of a folder.`);
      if (target === TOP || target === 'index.ts')
        throw new Error(`agent/${folder}/README.md may import \`${name}\`: agent/${TOP} and agent/index.ts are above every folder.`);
    }
  }
  return graph;
}

const folderType = (folder) => `agent/${folder}`;
const rootFile = (file) => ({ element: { type: 'agent', fileInternalPath: file } });
const inFolder = (folder, files) => ({ element: { type: folderType(folder), ...(files ? { fileInternalPath: files } : {}) } });

/** The dependency policies; the last one that matches an import decides (allow, or the message). */
export function folderGraphPolicies(graph) {
  const folders = [...graph.keys()];
  const allFolderTypes = folders.map(folderType);
  const policies = [];
  const deny = (from, to, message) => policies.push({ ...(from ? { from } : {}), disallow: { to }, message });

  // [entry] from another folder (or main/), only a folder's entry files.
  const importers = { element: { type: ['agent', 'agent/*', 'main'] } };
  for (const [folder, { entries }] of graph) {
    const list = entries.length ? entries.join(', ') : 'none: the folder is private';
    const files = entries.length ? `!${anyOf(entries)}` : '**';
    deny(
      importers,
      inFolder(folder, files),
      `[entry] {{to.type}}/{{to.internalPath}} is private to agent/${folder}: import one of its entries (${list}; agent/${folder}/README.md, "entry" rows).`,
    );
  }

  // [may import] a folder imports only what its README names.
  const mayImportRule = (from, who, allowed, readme) => {
    const wholeFolders = allowed.filter((n) => !n.includes('/') && n !== 'errors.ts');
    const message = `[may import] ${who} may not import {{to.type}}/{{to.internalPath}}: ${readme} allows only ${allowed.join(', ') || 'its own files'}.`;
    const partial = new Map();
    for (const [target, file] of allowed.filter((n) => n.includes('/')).map((n) => n.split('/'))) partial.set(target, [...(partial.get(target) ?? []), file]);
    const denied = folders.filter((f) => !wholeFolders.includes(f) && !partial.has(f) && f !== TOP).map(folderType);
    if (denied.length) deny(from, { element: { type: denied } }, message);
    for (const [target, files] of partial) deny(from, inFolder(target, `!${anyOf(files)}`), message);
    if (!allowed.includes('errors.ts')) deny(from, rootFile('errors.ts'), message);
  };
  for (const [folder, { mayImport }] of graph) {
    mayImportRule(inFolder(folder), `agent/${folder}`, mayImport, `agent/${folder}/README.md's "may import" row`);
  }
  mayImportRule(rootFile('errors.ts'), 'agent/errors.ts', ERRORS_MAY_IMPORT, 'build/lint/folder-graph.mjs (ERRORS_MAY_IMPORT)');

  // [main via index] main/ imports agent/ only through agent/index.ts (and the contract).
  const mainMessage =
    '[main via index] main/ imports agent/ only through agent/index.ts, not {{to.type}}/{{to.internalPath}}: export what main needs from agent/index.ts (build/lint/folder-graph.mjs, MAIN_MAY_IMPORT).';
  const main = { element: { type: 'main' } };
  deny(main, { element: { type: allFolderTypes.filter((t) => !MAIN_MAY_IMPORT.map(folderType).includes(t)) } }, mainMessage);
  deny(main, rootFile('!index.ts'), mainMessage);
  for (const { from, to } of MAIN_OWN_BUNDLES) {
    const [folder, file] = to.split('/');
    policies.push({ from: { element: { type: 'main', fileInternalPath: from } }, allow: { to: inFolder(folder, file) } });
  }

  // The temporary exceptions: exactly one edge each.
  for (const { from, to } of TEMPORARY_EXCEPTIONS) {
    const [folder, file] = to.split('/');
    policies.push({ from: inFolder(from), allow: { to: inFolder(folder, file) } });
  }

  // [no upward import] last, so that no allow above can let one through.
  const upward =
    '[no upward import] {{from.type}}/{{from.internalPath}} may not import {{to.type}}/{{to.internalPath}}: agent/index.ts and agent/cli sit above every engine folder.';
  const below = { element: { type: allFolderTypes.filter((t) => t !== folderType(TOP)) } };
  deny(below, inFolder(TOP), upward);
  deny(rootFile('errors.ts'), inFolder(TOP), upward);
  deny({ element: { type: ['agent', 'agent/*'] } }, rootFile('index.ts'), upward);
  return policies;
}

/** The flat-config block that runs the folder graph in `npm run lint`. */
export function folderGraphConfig(root) {
  const graph = readFolderGraph(root);
  return {
    files: ['agent/**/*.ts', 'main/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/root-path': root,
      'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import'],
      'boundaries/elements': [
        ...[...graph.keys()].map((folder) => ({ type: folderType(folder), pattern: `agent/${folder}`, partialMatch: false })),
        { type: 'agent', pattern: 'agent', partialMatch: false },
        { type: 'main', pattern: 'main', partialMatch: false },
      ],
      'import/resolver': { [join(root, 'build/lint/resolve-ts.cjs')]: {} },
    },
    rules: { 'boundaries/dependencies': ['error', { default: 'allow', policies: folderGraphPolicies(graph) }] },
  };
}
