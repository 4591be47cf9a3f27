// The edge packages of `npm run package`, shared by the package tests: where they
// are, how to run commands against them, and how to run one with no Node.js visible.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, it } from 'node:test';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { ROOT, run, type Run } from './cli.js';

export { run };

export const PKG = join(ROOT, 'dist/packages');
export const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
export const DEB_X64 = join(PKG, `kubejoin_${VERSION}_amd64.deb`);
export const DEB_ARM64 = join(PKG, `kubejoin_${VERSION}_arm64.deb`);
export const RPM_X64 = join(PKG, `kubejoin-${VERSION}-1.x86_64.rpm`);
export const RPM_ARM64 = join(PKG, `kubejoin-${VERSION}-1.aarch64.rpm`);
export const EXE_X64 = join(PKG, `kubejoin-${VERSION}-linux-x64`);
export const EXE_ARM64 = join(PKG, `kubejoin-${VERSION}-linux-arm64`);
export const UNIT = 'usr/lib/systemd/system/kubejoin-join.service';

const missing = [DEB_X64, DEB_ARM64, RPM_X64, RPM_ARM64, EXE_X64, EXE_ARM64, join(PKG, 'SHA256SUMS')].filter((f) => !existsSync(f));
export const skipReason =
  missing.length > 0 ? `dist/packages is incomplete (missing ${missing.map((f) => f.slice(ROOT.length)).join(', ')}): run "npm run package" first` : undefined;

/** At the top of each package test file: fail under CI=true when the packages are missing, else say why they skip. */
export function reportMissingPackages(testFile: string): void {
  if (skipReason && process.env.CI === 'true') {
    it('the packages exist (CI=true: npm run package must run before npm test)', () => assert.fail(skipReason));
  } else if (skipReason) {
    process.stdout.write(`# SKIP ${testFile}: ${skipReason}\n`);
  }
}

/** The package's file list as paths without the leading "./" or "/", directories left out. */
export const debFiles = (listing: string): string[] =>
  listing
    .split('\n')
    .filter((l) => l.startsWith('-'))
    .map((l) => l.split(/\s+/).at(-1)!.replace(/^\.\//, ''))
    .sort();

export const EXPECTED_FILES = [
  'usr/bin/kubejoin',
  'usr/lib/kubejoin/keytar.node',
  'usr/lib/systemd/system/kubejoin-agent.service',
  'usr/lib/systemd/system/kubejoin-approver.service',
  'usr/lib/systemd/system/kubejoin-join.service',
  'usr/share/bash-completion/completions/kubejoin',
  'usr/share/doc/kubejoin/join.yaml.example',
  'usr/share/man/man1/kubejoin.1.gz',
  'usr/share/zsh/vendor-completions/_kubejoin',
];

/** ELF machine of an executable: 62 = x86-64, 183 = aarch64. */
export const elfMachine = (file: string): number => readFileSync(file).readUInt16LE(18);

export async function ok(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  const r = await run(cmd, args, opts);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

/** Every node/nodejs executable a PATH lookup could find, resolved, to hide in a namespace. */
/** Every Node.js binary this machine would run (real paths), to hide in a mount namespace. */
export function nodeExecutables(): string[] {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  const found = new Set<string>([realpathSync(process.execPath)]);
  for (const d of dirs) {
    for (const name of ['node', 'nodejs']) {
      const p = join(d, name);
      if (d && existsSync(p)) found.add(realpathSync(p));
    }
  }
  return [...found];
}

// Runs argv in a private mount namespace where every Node.js binary is /dev/null, with a
// PATH of system directories only; first proves that `node` no longer runs there.
const NO_NODE_SH = `set -e
IFS=:
for f in $KJ_HIDE; do mount --bind /dev/null "$f"; done
unset IFS
if node -e 0 >/dev/null 2>&1; then echo "node still runs in the namespace" >&2; exit 99; fi
unset KJ_HIDE
exec "$@"`;

export function withoutNode(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const clean: NodeJS.ProcessEnv = {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: env.HOME ?? tmpdir(),
    NO_COLOR: '1',
    KJ_HIDE: nodeExecutables().join(':'),
    ...env,
  };
  return run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', NO_NODE_SH, 'sh', ...argv], { env: clean, timeoutMs: 180_000 });
}

export async function whoami(kubeconfig: string): Promise<string> {
  const r = await ok('kubectl', ['--kubeconfig', kubeconfig, 'auth', 'whoami', '-o', 'json']);
  return (JSON.parse(r.stdout) as { status: { userInfo: { username: string } } }).status.userInfo.username;
}

export interface PackageFixture {
  cluster: ClusterHandle;
  /** The x64 deb, unpacked. */
  debRoot: string;
}

/** Inside a describe: the shared cluster and the x64 deb unpacked once for its tests. */
export function usePackages(): PackageFixture {
  const fixture = {} as PackageFixture;
  before(async () => {
    fixture.cluster = await testCluster();
    fixture.debRoot = await mkdtemp(join(tmpdir(), 'kubejoin-deb-'));
    await ok('dpkg-deb', ['-x', DEB_X64, fixture.debRoot]);
  });
  after(() => rm(fixture.debRoot, { recursive: true, force: true }));
  return fixture;
}
