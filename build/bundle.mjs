// Bundles the CLI (one file plus lazily-loaded chunks), the Electron main process,
// the preload bridge and the renderer page into dist/: the product, without the test hooks.
// `--test-hooks` makes the test build instead, the same bundles with the hooks, into
// test/out/dist-test/ (build/test-hooks.mjs); the tests that use a hook run that one.
import { build } from 'esbuild';
import { chmod, cp, mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { HOT_COMMANDS, onlyCommand } from './hot-commands.mjs';
import { TEST_BUILD_DIR, leakedHook, testHooksDefine } from './test-hooks.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const exists = (p) =>
  stat(new URL(p, `file://${root}`)).then(
    () => true,
    () => false,
  );

// Native or heavy modules stay in node_modules and load at run time, only where used.
const external = ['electron', 'keytar', '@kubernetes/client-node'];
// CommonJS dependencies inside an ESM bundle need a real `require` for Node built-ins.
const requireShim = "import { createRequire as __kjCreateRequire } from 'node:module'; const require = __kjCreateRequire(import.meta.url);";

const args = process.argv.slice(2);
const testHooks = args.includes('--test-hooks');
if (args.some((a) => a !== '--test-hooks')) {
  console.error(`build/bundle.mjs: unknown argument in "${args.join(' ')}" (only --test-hooks)`);
  process.exit(2);
}
const out = testHooks ? TEST_BUILD_DIR : 'dist';

// dist/packages (npm run package, build/packages/) is built separately and kept.
await mkdir(`${root}${out}`, { recursive: true });
for (const entry of await readdir(`${root}${out}`)) {
  if (entry !== 'packages') await rm(`${root}${out}/${entry}`, { recursive: true, force: true });
}

// minifySyntax in every build: it is what removes the code behind a define that is false.
const common = {
  absWorkingDir: root,
  bundle: true,
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  define: testHooksDefine(testHooks),
  minifySyntax: true,
};

// The CLI: its entry `cli.mjs` (agent/cli/bin.ts, one file) turns Node's compile cache on, then
// imports the whole CLI, `chunks/all.mjs` with its chunks, or for a hot command
// (build/hot-commands.mjs) the build with only that command, `chunks/<command>/cli.mjs`: a few
// files instead of ~30. All of it under chunks/, which the desktop app ships beside cli.mjs.
const cliBuild = {
  ...common,
  outExtension: { '.js': '.mjs' },
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  minifyWhitespace: true,
  banner: { js: requireShim },
};
await build({
  ...cliBuild,
  entryPoints: { cli: 'agent/cli/bin.ts' },
  outdir: out,
  splitting: false,
  banner: { js: `#!/usr/bin/env node\n${requireShim}` },
  plugins: [{ name: 'whole-cli', setup: (b) => b.onResolve({ filter: /^\.\/main\.js$/ }, () => ({ path: './chunks/all.mjs', external: true })) }],
});
await build({ ...cliBuild, entryPoints: { all: 'agent/cli/main.ts' }, outdir: `${out}/chunks`, entryNames: '[name]', chunkNames: '[name]-[hash]' });
for (const command of HOT_COMMANDS) {
  const outdir = `${out}/chunks/${command}`;
  await build({
    ...cliBuild,
    entryPoints: { cli: 'agent/cli/main.ts' },
    outdir,
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    plugins: [onlyCommand(command)],
  });
}

await chmod(`${root}${out}/cli.mjs`, 0o755);

// The main process, and the desktop app's keychain helper that Electron's utilityProcess runs
// (main/keychain-launcher.ts). The preload (below) may only use electron.
const mainEntries = { main: 'main/main.ts', 'keychain-helper': 'main/keychain-helper.ts' };
if (await exists('main/main.ts')) {
  await build({
    ...common,
    entryPoints: mainEntries,
    outdir: `${out}/main`,
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external,
  });
}
if (await exists('main/preload.ts')) {
  await build({
    ...common,
    entryPoints: { preload: 'main/preload.ts' },
    outdir: `${out}/main`,
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['electron'],
  });
}
if (await exists('renderer/index.ts')) {
  await build({
    ...common,
    entryPoints: { app: 'renderer/index.ts' },
    outdir: `${out}/renderer`,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    minify: true,
  });
  for (const f of ['index.html', 'style.css']) {
    if (await exists(`renderer/${f}`)) await cp(`${root}renderer/${f}`, `${root}${out}/renderer/${f}`);
  }
}

// What ships has no test hook (docs/architecture.md, "Test hooks"): a hook that is not behind
// globalThis.KUBEJOIN_TEST_HOOKS fails the build here, and its bundles are removed.
if (!testHooks) {
  for (const entry of await readdir(`${root}${out}`, { recursive: true })) {
    if (entry.startsWith('packages') || !/\.(mjs|cjs|js)$/.test(entry)) continue;
    const leaked = leakedHook(await readFile(`${root}${out}/${entry}`, 'utf8'));
    if (leaked) {
      console.error(`build/bundle.mjs: ${leaked} is in ${out}/${entry}: a test hook not behind globalThis.KUBEJOIN_TEST_HOOKS`);
      for (const e of await readdir(`${root}${out}`)) if (e !== 'packages') await rm(`${root}${out}/${e}`, { recursive: true, force: true });
      process.exit(1);
    }
  }
}
