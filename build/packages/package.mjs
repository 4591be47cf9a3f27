// Step 6 of `npm run package` (build/packages/package.sh prepares the toolchain and passes
// its paths in KUBEJOIN_PKG_*). Runs on the x64 Node runtime of the packages.
//   1. one CommonJS script for SEA (esbuild, no splitting: every lazy import is in the file),
//      whose entry (sea-snapshot.ts) evaluates the join and credential paths
//   2. per architecture: the SEA blob with a V8 startup snapshot of that script's heap, made by
//      that architecture's own node (arm64 under qemu-user-static; a snapshot is only valid for
//      the V8 build that made it); a stripped copy of the runtime; postject injects the blob
//   3. man page and bash/zsh completions, generated from the executable's own --help texts
//   4. deb and rpm per architecture with nfpm; SHA256SUMS
import { build } from 'esbuild';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { completions, manPage, parseHelp } from './docs.mjs';
import { leakedHook, testHooksDefine } from '../test-hooks.mjs';
import { lazyBuiltins } from './lazy-builtins.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = join(ROOT, 'dist/packages');
const WORK = join(OUT, '.work');
const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run "npm run package" (build/packages/package.sh)`);
  return v;
};
const say = (msg) => process.stderr.write(`[package] ${msg}\n`);
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20, ...opts });

const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const ALL_ARCHES = [
  { arch: 'x64', deb: 'amd64', rpm: 'x86_64', node: env('KUBEJOIN_PKG_NODE_X64'), keytar: env('KUBEJOIN_PKG_KEYTAR_X64'), strip: 'strip', exec: [] },
  {
    arch: 'arm64',
    deb: 'arm64',
    rpm: 'aarch64',
    node: env('KUBEJOIN_PKG_NODE_ARM64'),
    keytar: env('KUBEJOIN_PKG_KEYTAR_ARM64'),
    strip: 'aarch64-linux-gnu-strip',
    exec: ['qemu-aarch64-static'],
  },
];
// KUBEJOIN_PKG_ARCHES=x64 builds one architecture only (for measuring a change locally; the
// arm64 snapshot under qemu takes minutes). A release builds both.
const only = process.env.KUBEJOIN_PKG_ARCHES?.split(',').filter(Boolean);
const ARCHES = only ? ALL_ARCHES.filter((a) => only.includes(a.arch)) : ALL_ARCHES;
if (!ARCHES.some((a) => a.arch === 'x64')) throw new Error('KUBEJOIN_PKG_ARCHES must include x64 (the man page is made by the x64 executable)');
const started = Date.now();

rmSync(OUT, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });

// ---- 1. the script ----------------------------------------------------------------------
const bundle = join(WORK, 'kubejoin-sea.cjs');
await build({
  absWorkingDir: ROOT,
  entryPoints: ['build/packages/sea-snapshot.ts'],
  outfile: bundle,
  bundle: true,
  splitting: false,
  format: 'cjs',
  platform: 'node',
  target: `node${env('KUBEJOIN_PKG_NODE_VERSION').split('.')[0]}`,
  // keytar is loaded from its addon file in the executable (agent/store/keytar-loader.ts).
  external: ['keytar', 'electron'],
  // The admin commands' Kubernetes client is left out: with it the script is 7 MB instead of
  // 1 MB and --version takes 111 ms instead of 63 ms (docs/performance.md). Those commands
  // then fail with a clear message (sea-no-admin-client.ts).
  plugins: [
    lazyBuiltins,
    {
      name: 'no-admin-client',
      setup(b) {
        b.onResolve({ filter: /^@kubernetes\/client-node$/ }, () => ({ path: join(ROOT, 'build/packages/sea-no-admin-client.ts') }));
      },
    },
  ],
  // What ships has no test hooks (build/test-hooks.mjs); minifySyntax drops their code.
  define: testHooksDefine(false),
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
});
const leaked = leakedHook(readFileSync(bundle, 'utf8'));
if (leaked) {
  rmSync(OUT, { recursive: true, force: true });
  throw new Error(`${leaked} is in the executable's script: a test hook not behind globalThis.KUBEJOIN_TEST_HOOKS (docs/architecture.md)`);
}
say(`bundle: ${(statSync(bundle).size / 1024).toFixed(0)} KiB`);

// ---- 2. the executables -----------------------------------------------------------------
const executables = {};
for (const a of ARCHES) {
  const blob = join(WORK, `sea-${a.arch}.blob`);
  const config = join(WORK, `sea-${a.arch}.json`);
  // A startup snapshot, not SEA's code cache: measured faster for join and credential, slower
  // for --version (docs/performance.md, "Packaged executable"). SEA takes no code cache with a
  // snapshot. Node warns that it has not verified node:module in snapshots: the script only
  // calls createRequire at run time (store/keytar-loader.ts).
  writeFileSync(config, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useSnapshot: true, useCodeCache: false }));
  const [file, args] = cmd(a, join(a.node, 'bin/node'), ['--experimental-sea-config', config]);
  const made = spawnSync(file, args, { cwd: WORK, encoding: 'utf8', maxBuffer: 16 << 20 });
  if (made.status !== 0) throw new Error(`the SEA blob for linux-${a.arch} failed (${made.signal ?? made.status}):\n${made.stderr}`);
  // Any other built-in evaluated at build time is said, so that it is seen and checked.
  for (const m of made.stderr.matchAll(/built-in module "([^"]+)" works in user snapshot/g))
    if (m[1] !== 'node:module') say(`linux-${a.arch}: the snapshot holds ${m[1]}, which Node has not verified in snapshots`);
  const exe = join(OUT, `kubejoin-${version}-linux-${a.arch}`);
  // The npm runtime carries debug info (~18 MB); the executable does not need it.
  run(a.strip, ['-o', exe, join(a.node, 'bin/node')]);
  run(process.execPath, [env('KUBEJOIN_PKG_POSTJECT'), exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], { stdio: 'ignore' });
  chmodSync(exe, 0o755);
  const hasKeytar = existsSync(a.keytar);
  if (hasKeytar) copyFileSync(a.keytar, join(OUT, `keytar-linux-${a.arch}.node`));
  else say(`linux-${a.arch}: no keytar addon (see the build log above); the package uses files for --store auto`);
  const v = run(...cmd(a, exe, ['--version']))
    .toString()
    .trim();
  if (v !== `kubejoin ${version}`) throw new Error(`${exe} --version printed "${v}"`);
  executables[a.arch] = { exe, hasKeytar };
  say(`${exe.slice(ROOT.length)}: ${(statSync(exe).size / 1048576).toFixed(1)} MiB, "${v}"${hasKeytar ? ', keytar addon beside it' : ''}`);
}

function cmd(a, file, args) {
  if (a.exec.length === 0 || process.arch === a.arch) return [file, args];
  return [a.exec[0], [...a.exec.slice(1), file, ...args]];
}

// ---- 3. man page and completions, from the help texts ------------------------------------
const x64 = executables.x64.exe;
const help = (args) => run(x64, args).toString();
// Every command the top-level help lists, and every subcommand their help lists.
const helpTexts = { '': help(['--help']) };
for (const c of parseHelp(helpTexts).top) {
  helpTexts[c] = help([c, '--help']);
  for (const sub of parseHelp({ '': '', [c]: helpTexts[c] }).commands[c].subcommands) helpTexts[`${c} ${sub}`] = help([c, sub, '--help']);
}
say(`man page and completions for: ${Object.keys(helpTexts).filter(Boolean).join(', ')}`);
const share = join(WORK, 'share');
mkdirSync(share, { recursive: true });
writeFileSync(join(share, 'kubejoin.1'), manPage(version, helpTexts));
const { bash, zsh } = completions(helpTexts);
writeFileSync(join(share, 'kubejoin.bash'), bash);
writeFileSync(join(share, '_kubejoin'), zsh);
execFileSync('gzip', ['-9', '-n', '-f', join(share, 'kubejoin.1')]);

// ---- 4. deb and rpm ---------------------------------------------------------------------
const here = join(ROOT, 'build/packages');
const jobs = [];
for (const a of ARCHES) {
  const { exe, hasKeytar } = executables[a.arch];
  const contents = [
    { src: exe, dst: '/usr/bin/kubejoin', file_info: { mode: 0o755 } },
    ...(hasKeytar ? [{ src: a.keytar, dst: '/usr/lib/kubejoin/keytar.node', file_info: { mode: 0o644 } }] : []),
    { src: join(share, 'kubejoin.1.gz'), dst: '/usr/share/man/man1/kubejoin.1.gz', file_info: { mode: 0o644 } },
    { src: join(share, 'kubejoin.bash'), dst: '/usr/share/bash-completion/completions/kubejoin', file_info: { mode: 0o644 } },
    { src: join(share, '_kubejoin'), dst: '/usr/share/zsh/vendor-completions/_kubejoin', file_info: { mode: 0o644 } },
    { src: join(here, 'systemd/kubejoin-join.service'), dst: '/usr/lib/systemd/system/kubejoin-join.service', file_info: { mode: 0o644 } },
    { src: join(here, 'systemd/kubejoin-agent.service'), dst: '/usr/lib/systemd/system/kubejoin-agent.service', file_info: { mode: 0o644 } },
    { src: join(here, 'systemd/kubejoin-approver.service'), dst: '/usr/lib/systemd/system/kubejoin-approver.service', file_info: { mode: 0o644 } },
    { src: join(here, 'join.yaml.example'), dst: '/usr/share/doc/kubejoin/join.yaml.example', file_info: { mode: 0o644 } },
    { dst: '/etc/kubejoin', type: 'dir', file_info: { mode: 0o750 } },
    // Owned, so that removing the package removes them too (rpm leaves unowned directories).
    ...(hasKeytar ? [{ dst: '/usr/lib/kubejoin', type: 'dir', file_info: { mode: 0o755 } }] : []),
    { dst: '/usr/share/doc/kubejoin', type: 'dir', file_info: { mode: 0o755 } },
  ];
  const config = {
    name: 'kubejoin',
    arch: a.deb,
    platform: 'linux',
    version,
    release: '1',
    section: 'admin',
    priority: 'optional',
    maintainer: 'kubejoin maintainers <kubejoin@users.noreply.github.com>',
    description: `Join this machine to a Kubernetes cluster with a bootstrap token (like kubeadm join).\nOne executable with its own Node.js ${env('KUBEJOIN_PKG_NODE_VERSION')} runtime; optional first-boot join through systemd (kubejoin-join.service).`,
    vendor: 'kubejoin',
    homepage: 'https://github.com/kubejoin/kubejoin',
    license: 'Apache-2.0',
    // The executable needs only glibc (>= 2.28, Node's own floor); keytar needs libsecret at
    // run time, and only for the keychain store.
    suggests: ['libsecret-1-0'],
    contents,
    scripts: {
      postinstall: join(here, 'scripts/postinstall.sh'),
      preremove: join(here, 'scripts/preremove.sh'),
      postremove: join(here, 'scripts/postremove.sh'),
    },
    deb: { compression: 'xz' },
    rpm: { compression: 'xz', summary: 'Join this machine to a Kubernetes cluster with a bootstrap token', group: 'System Environment/Base' },
  };
  const yaml = join(WORK, `nfpm-${a.arch}.yaml`);
  writeFileSync(yaml, JSON.stringify(config, null, 2)); // JSON is YAML
  for (const packager of ['deb', 'rpm']) {
    const target = join(OUT, packager === 'deb' ? `kubejoin_${version}_${a.deb}.deb` : `kubejoin-${version}-1.${a.rpm}.rpm`);
    jobs.push({ target, args: ['package', '--config', yaml, '--packager', packager, '--target', target] });
  }
}
// nfpm's xz is single-threaded: the four packages compress side by side.
await Promise.all(
  jobs.map(async ({ target, args }) => {
    await promisify(execFile)(env('KUBEJOIN_PKG_NFPM'), args, { maxBuffer: 16 << 20 });
    say(`${target.slice(ROOT.length)}: ${(statSync(target).size / 1048576).toFixed(1)} MiB`);
  }),
);

rmSync(WORK, { recursive: true, force: true });
const files = readdirSync(OUT)
  .filter((f) => f !== 'SHA256SUMS')
  .sort();
writeFileSync(
  join(OUT, 'SHA256SUMS'),
  files
    .map(
      (f) =>
        `${createHash('sha256')
          .update(readFileSync(join(OUT, f)))
          .digest('hex')}  ${f}\n`,
    )
    .join(''),
);
say(`dist/packages/: ${files.length} files and SHA256SUMS in ${((Date.now() - started) / 1000).toFixed(1)} s`);
