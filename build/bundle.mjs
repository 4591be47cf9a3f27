// Bundles the CLI (one file plus lazily-loaded chunks), the Electron main process,
// the preload bridge and the renderer page into dist/.
import { build } from 'esbuild';
import { chmod, cp, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

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

// dist/packages (npm run package, build/packages/) is built separately and kept.
await mkdir(`${root}dist`, { recursive: true });
for (const entry of await readdir(`${root}dist`)) {
  if (entry !== 'packages') await rm(`${root}dist/${entry}`, { recursive: true, force: true });
}

const common = { absWorkingDir: root, bundle: true, sourcemap: false, legalComments: 'none', logLevel: 'warning' };

await build({
  ...common,
  entryPoints: { cli: 'agent/cli/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  banner: { js: `#!/usr/bin/env node\n${requireShim}` },
  minifyWhitespace: true,
  minifySyntax: true,
});

await chmod(`${root}dist/cli.mjs`, 0o755);

// The main process, and the desktop app's keychain helper that Electron's utilityProcess runs
// (main/keychain-launcher.ts). The preload (below) may only use electron.
const mainEntries = { main: 'main/main.ts', 'keychain-helper': 'main/keychain-helper.ts' };
if (await exists('main/main.ts')) {
  await build({
    ...common,
    entryPoints: mainEntries,
    outdir: 'dist/main',
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
    outdir: 'dist/main',
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
    outdir: 'dist/renderer',
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    minify: true,
  });
  for (const f of ['index.html', 'style.css']) {
    if (await exists(`renderer/${f}`)) await cp(`${root}renderer/${f}`, `${root}dist/renderer/${f}`);
  }
}
