import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { probeKeychain } from '../../agent/store/keychain.js';
import { ROOT, assertNoSecret, uniqueName, type Run } from '../helpers/cli.js';
import { workdir } from '../helpers/temp.js';

// The edge packages of `npm run package` (issue 13), as an operator gets them: the x64 deb
// unpacked, its /usr/bin/kubejoin joining the real control plane with no Node.js visible;
// the arm64 executable joining under qemu-user-static; the units, the file lists, the
// control data. Without dist/packages the tests fail under CI=true and are skipped otherwise.

const PKG = join(ROOT, 'dist/packages');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const DEB_X64 = join(PKG, `kubejoin_${VERSION}_amd64.deb`);
const DEB_ARM64 = join(PKG, `kubejoin_${VERSION}_arm64.deb`);
const RPM_X64 = join(PKG, `kubejoin-${VERSION}-1.x86_64.rpm`);
const RPM_ARM64 = join(PKG, `kubejoin-${VERSION}-1.aarch64.rpm`);
const EXE_X64 = join(PKG, `kubejoin-${VERSION}-linux-x64`);
const EXE_ARM64 = join(PKG, `kubejoin-${VERSION}-linux-arm64`);
const UNIT = 'usr/lib/systemd/system/kubejoin-join.service';

const missing = [DEB_X64, DEB_ARM64, RPM_X64, RPM_ARM64, EXE_X64, EXE_ARM64, join(PKG, 'SHA256SUMS')].filter((f) => !existsSync(f));
const skipReason =
  missing.length > 0 ? `dist/packages is incomplete (missing ${missing.map((f) => f.slice(ROOT.length)).join(', ')}): run "npm run package" first` : undefined;

if (skipReason && process.env.CI === 'true') {
  it('the packages exist (CI=true: npm run package must run before npm test)', () => assert.fail(skipReason));
} else if (skipReason) {
  process.stdout.write(`# SKIP test/integration/packages.test.ts: ${skipReason}\n`);
}

/** Runs a command with no stdin (a child that exits early must not EPIPE us). */
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** The package's file list as paths without the leading "./" or "/", directories left out. */
const debFiles = (listing: string): string[] =>
  listing
    .split('\n')
    .filter((l) => l.startsWith('-'))
    .map((l) => l.split(/\s+/).at(-1)!.replace(/^\.\//, ''))
    .sort();

const EXPECTED_FILES = [
  'usr/bin/kubejoin',
  'usr/lib/kubejoin/keytar.node',
  'usr/lib/systemd/system/kubejoin-agent.service',
  'usr/lib/systemd/system/kubejoin-join.service',
  'usr/share/bash-completion/completions/kubejoin',
  'usr/share/doc/kubejoin/join.yaml.example',
  'usr/share/man/man1/kubejoin.1.gz',
  'usr/share/zsh/vendor-completions/_kubejoin',
];

/** ELF machine of an executable: 62 = x86-64, 183 = aarch64. */
const elfMachine = (file: string): number => readFileSync(file).readUInt16LE(18);

async function ok(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  const r = await run(cmd, args, opts);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

/** Every node/nodejs executable a PATH lookup could find, resolved, to hide in a namespace. */
function nodeExecutables(): string[] {
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

function withoutNode(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const clean: NodeJS.ProcessEnv = {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: env.HOME ?? tmpdir(),
    NO_COLOR: '1',
    KJ_HIDE: nodeExecutables().join(':'),
    ...env,
  };
  return run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', NO_NODE_SH, 'sh', ...argv], { env: clean, timeoutMs: 180_000 });
}

async function whoami(kubeconfig: string): Promise<string> {
  const r = await ok('kubectl', ['--kubeconfig', kubeconfig, 'auth', 'whoami', '-o', 'json']);
  return (JSON.parse(r.stdout) as { status: { userInfo: { username: string } } }).status.userInfo.username;
}

describe('edge packages (dist/packages from npm run package)', { skip: skipReason }, () => {
  let cluster: ClusterHandle;
  let debRoot: string;

  before(async () => {
    cluster = await testCluster();
    debRoot = await mkdtemp(join(tmpdir(), 'kubejoin-deb-'));
    await ok('dpkg-deb', ['-x', DEB_X64, debRoot]);
  });
  after(() => rm(debRoot, { recursive: true, force: true }));

  async function signedToken(): Promise<string> {
    const token = await cluster.createToken();
    await cluster.waitForSignature(token.split('.')[0]!);
    return token;
  }

  async function tokenFile(dir: string, token: string): Promise<string> {
    const path = join(dir, 'join-token');
    await writeFile(path, `${token}\n`, { mode: 0o600 });
    return path;
  }

  it('valid: SHA256SUMS covers every file and sha256sum -c accepts it', async () => {
    const c = await run('sh', ['-c', `cd '${PKG}' && sha256sum -c SHA256SUMS`], {});
    assert.equal(c.code, 0, c.stdout + c.stderr);
    const listed = readFileSync(join(PKG, 'SHA256SUMS'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/)[1])
      .sort();
    for (const f of [DEB_X64, DEB_ARM64, RPM_X64, RPM_ARM64, EXE_X64, EXE_ARM64]) assert.ok(listed.includes(f.slice(PKG.length + 1)), f);
  });

  it('valid: the executables are for linux x64 and arm64 and print the version', async () => {
    assert.equal(elfMachine(EXE_X64), 62);
    assert.equal(elfMachine(EXE_ARM64), 183);
    assert.equal(elfMachine(join(debRoot, 'usr/bin/kubejoin')), 62);
    assert.equal((await ok(EXE_X64, ['--version'])).stdout, `kubejoin ${VERSION}\n`);
    assert.equal((await ok('qemu-aarch64-static', [EXE_ARM64, '--version'])).stdout, `kubejoin ${VERSION}\n`);
  });

  it('valid: the debs have the files, no nodejs dependency, the maintainer scripts, and are <= 40 MiB', async () => {
    for (const [deb, arch] of [
      [DEB_X64, 'amd64'],
      [DEB_ARM64, 'arm64'],
    ] as const) {
      const fields = (await ok('dpkg-deb', ['-f', deb])).stdout;
      assert.match(fields, new RegExp(`^Architecture: ${arch}$`, 'm'));
      assert.doesNotMatch(fields, /nodejs|^(Pre-)?Depends:.*node/im, 'no dependency on Node.js');
      assert.doesNotMatch(fields, /^(Pre-)?Depends:/m, 'the executable brings its own runtime');
      const listing = (await ok('dpkg-deb', ['-c', deb])).stdout;
      assert.deepEqual(debFiles(listing), EXPECTED_FILES);
      assert.match(listing, /^drwxr-x--- root\/root\s+0 .* \.\/etc\/kubejoin\/$/m, '/etc/kubejoin is 0750 root:root');
      const info = await mkdtemp(join(tmpdir(), 'kubejoin-debctl-'));
      try {
        await ok('dpkg-deb', ['-e', deb, info]);
        const postinst = await readFile(join(info, 'postinst'), 'utf8');
        assert.match(postinst, /systemctl enable kubejoin-join\.service/);
        assert.match(postinst, /systemctl enable kubejoin-agent\.service/);
        assert.match(postinst, /0750 .*\/etc\/kubejoin|chmod 0750 \/etc\/kubejoin/);
        assert.match(await readFile(join(info, 'prerm'), 'utf8'), /systemctl disable kubejoin-join\.service/);
        for (const script of ['postinst', 'prerm', 'postrm']) await ok('sh', ['-n', join(info, script)]);
      } finally {
        await rm(info, { recursive: true, force: true });
      }
      assert.ok((await stat(deb)).size <= 40 * 1024 * 1024, `${deb} is over 40 MiB`);
    }
  });

  it('valid: rpm -qpl lists the same files; no nodejs requirement; the scripts enable the unit', async () => {
    for (const [rpm, arch] of [
      [RPM_X64, 'x86_64'],
      [RPM_ARM64, 'aarch64'],
    ] as const) {
      const files = (await ok('rpm', ['-qpl', rpm])).stdout.trim().split('\n').sort();
      assert.deepEqual(files, ['/etc/kubejoin', ...EXPECTED_FILES.map((f) => `/${f}`)].sort());
      assert.equal((await ok('rpm', ['-qp', '--qf', '%{ARCH}', rpm])).stdout, arch);
      const requires = (await ok('rpm', ['-qpR', rpm])).stdout;
      assert.doesNotMatch(requires, /node/i);
      const scripts = (await ok('rpm', ['-qp', '--scripts', rpm])).stdout;
      assert.match(scripts, /systemctl enable kubejoin-join\.service/);
      assert.match(scripts, /systemctl enable kubejoin-agent\.service/);
      assert.match(scripts, /systemctl disable --now kubejoin-agent\.service/);
      assert.match((await ok('rpm', ['-qp', '--qf', '[%{FILEMODES:perms} %{FILENAMES}\n]', rpm])).stdout, /^drwxr-x--- \/etc\/kubejoin$/m);
    }
  });

  it('valid: systemd-analyze verify accepts kubejoin-join.service and kubejoin-agent.service (and finds the man page)', async (t) => {
    const unit = await readFile(join(debRoot, UNIT), 'utf8');
    for (const line of [
      'Type=oneshot',
      'ConditionPathExists=/etc/kubejoin/join.yaml',
      'ConditionPathExists=!/etc/kubernetes/kubelet.conf',
      'After=network-online.target time-sync.target',
      'Wants=network-online.target',
      'LoadCredential=join-token:/etc/kubejoin/join-token',
      'ExecStart=/usr/bin/kubejoin join --config /etc/kubejoin/join.yaml --token-file ${CREDENTIALS_DIRECTORY}/join-token --store file',
      'ProtectSystem=strict',
      'ReadWritePaths=/var/lib/kubelet /etc/kubernetes',
      'NoNewPrivileges=yes',
      'PrivateTmp=yes',
      'WantedBy=multi-user.target',
    ]) {
      assert.ok(unit.split('\n').includes(line), `unit has "${line}"`);
    }
    assert.equal(unit.match(/^ReadWritePaths=/gm)?.length, 1, 'one ReadWritePaths= line');
    // verify checks that ExecStart's binary exists: point it at the unpacked one.
    const dir = await workdir(t);
    await writeFile(join(dir, 'kubejoin-join.service'), unit.replaceAll('/usr/bin/kubejoin', join(debRoot, 'usr/bin/kubejoin')));
    const agent = await readFile(join(debRoot, 'usr/lib/systemd/system/kubejoin-agent.service'), 'utf8');
    for (const line of ['ExecStart=/usr/bin/kubejoin agent', 'ConditionPathExists=/etc/kubernetes/kubelet.conf', 'RestartPreventExitStatus=10 11', 'NoNewPrivileges=yes']) {
      assert.ok(agent.split('\n').includes(line), `agent unit has "${line}"`);
    }
    await writeFile(join(dir, 'kubejoin-agent.service'), agent.replaceAll('/usr/bin/kubejoin', join(debRoot, 'usr/bin/kubejoin')));
    for (const name of ['kubejoin-join.service', 'kubejoin-agent.service']) {
      const r = await run('systemd-analyze', ['verify', join(dir, name)], { env: { ...process.env, MANPATH: join(debRoot, 'usr/share/man') } });
      assert.equal(r.code, 0, `${name}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trim(), '', `${name}: no warnings`);
    }
  });

  it('valid: man page and bash/zsh completions come from the help texts', async (t) => {
    const man = await ok('man', ['-l', '-P', 'cat', join(debRoot, 'usr/share/man/man1/kubejoin.1.gz')], { env: { ...process.env, MANWIDTH: '120' } });
    for (const s of ['kubejoin join', '--discovery-token-ca-cert-hash', 'kubejoin token create', '/etc/kubejoin/join.yaml'])
      assert.ok(man.stdout.includes(s), s);
    const bash = join(debRoot, 'usr/share/bash-completion/completions/kubejoin');
    const complete = (words: string[]): Promise<Run> =>
      ok('bash', [
        '-c',
        `source '${bash}'; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _kubejoin; echo "\${COMPREPLY[*]}"`,
      ]);
    assert.equal((await complete(['kubejoin', 'jo'])).stdout.trim(), 'join');
    assert.equal((await complete(['kubejoin', 'join', '--store', ''])).stdout.trim(), 'auto keychain file');
    assert.equal((await complete(['kubejoin', 'token', 'list', '-o', ''])).stdout.trim(), 'table json yaml');
    assert.match((await complete(['kubejoin', 'join', '--to'])).stdout, /--token --token-file/);
    const zsh = await run('zsh', ['-n', join(debRoot, 'usr/share/zsh/vendor-completions/_kubejoin')], {}).catch(() => undefined);
    if (!zsh) return t.skip('SKIP zsh syntax check: zsh is not installed (apt-get install zsh)');
    assert.equal(zsh.code, 0, zsh.stderr);
  });

  it("valid: the deb's /usr/bin/kubejoin joins with the first-boot recipe (join.yaml + token file) with no Node.js visible", async (t) => {
    if (process.getuid?.() !== 0) {
      if (process.env.CI === 'true') assert.fail('needs root for a private mount namespace (unshare -m)');
      return t.skip('SKIP: needs root for a private mount namespace (unshare -m) to hide Node.js');
    }
    const dir = await workdir(t);
    const token = await signedToken();
    const node = uniqueName('deb-x64');
    await writeFile(
      join(dir, 'join.yaml'),
      `apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    apiServerEndpoint: ${cluster.endpoint}\n    caCertHashes:\n      - ${cluster.caCertHash}\nnodeRegistration:\n  name: ${node}\n`,
    );
    const r = await withoutNode(
      [
        join(debRoot, 'usr/bin/kubejoin'),
        'join',
        '--config',
        join(dir, 'join.yaml'),
        '--token-file',
        await tokenFile(dir, token),
        '--store',
        'file',
        '--cert-dir',
        join(dir, 'pki'),
        '--kubeconfig-out',
        join(dir, 'kubelet.conf'),
      ],
      { HOME: dir },
    );
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`Joined as system:node:${node}`));
    assert.equal(await whoami(join(dir, 'kubelet.conf')), `system:node:${node}`);
    assert.equal((await stat(join(dir, 'pki/kubelet-client-current.pem'))).mode & 0o777, 0o600);
  });

  it('valid: the arm64 executable joins under qemu-user-static', async (t) => {
    const dir = await workdir(t);
    const token = await signedToken();
    const node = uniqueName('arm64');
    const r = await run(
      'qemu-aarch64-static',
      [
        EXE_ARM64,
        'join',
        cluster.endpoint,
        '--token-file',
        await tokenFile(dir, token),
        '--discovery-token-ca-cert-hash',
        cluster.caCertHash,
        '--node-name',
        node,
        '--store',
        'file',
        '--cert-dir',
        join(dir, 'pki'),
        '--kubeconfig-out',
        join(dir, 'kubelet.conf'),
      ],
      { env: { PATH: process.env.PATH, HOME: dir, NO_COLOR: '1' }, timeoutMs: 300_000 },
    );
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await whoami(join(dir, 'kubelet.conf')), `system:node:${node}`);
  });

  it("valid: the deb's keytar addon loads from /usr/lib/kubejoin: keychain join, kubectl through the exec plugin", async (t) => {
    const problem = await probeKeychain(process.env);
    if (problem) return t.skip(`SKIP: no reachable keychain here (${problem}); npm test runs inside dbus-run-session with gnome-keyring`);
    const dir = await workdir(t);
    const token = await signedToken();
    const node = uniqueName('deb-keychain');
    const service = uniqueName('kubejoin-pkg-test');
    t.after(async () => {
      const keytar = (await import('keytar')).default;
      for (const c of await keytar.findCredentials(service)) await keytar.deletePassword(service, c.account);
    });
    const exe = join(debRoot, 'usr/bin/kubejoin');
    const env: NodeJS.ProcessEnv = { ...process.env, KUBEJOIN_KEYCHAIN_SERVICE: service, NO_COLOR: '1' };
    delete env.KUBEJOIN_TOKEN;
    const r = await run(
      exe,
      [
        'join',
        cluster.endpoint,
        '--token-file',
        await tokenFile(dir, token),
        '--discovery-token-ca-cert-hash',
        cluster.caCertHash,
        '--node-name',
        node,
        '--store',
        'keychain',
        '--kubeconfig-out',
        join(dir, 'kc.conf'),
      ],
      { env },
    );
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const kubeconfig = await readFile(join(dir, 'kc.conf'), 'utf8');
    assert.doesNotMatch(kubeconfig, /PRIVATE KEY|client-key-data|client-certificate-data/);
    assert.ok(kubeconfig.includes(`command: ${exe}`), 'the executable is its own exec plugin');
    const who = await run('kubectl', ['--kubeconfig', join(dir, 'kc.conf'), 'auth', 'whoami', '-o', 'json'], { env });
    assert.equal(who.code, 0, who.stderr);
    assert.equal((JSON.parse(who.stdout) as { status: { userInfo: { username: string } } }).status.userInfo.username, `system:node:${node}`);
  });

  it('valid: without a keytar addon, --store auto says so and uses files', async (t) => {
    if (existsSync('/usr/lib/kubejoin/keytar.node'))
      return t.skip('SKIP: /usr/lib/kubejoin/keytar.node is installed on this machine, so every executable finds an addon');
    const dir = await workdir(t);
    await mkdir(join(dir, 'bin'));
    const exe = join(dir, 'bin', 'kubejoin');
    await copyFile(EXE_X64, exe);
    await run('chmod', ['0755', exe], {});
    const token = await signedToken();
    const node = uniqueName('no-addon');
    const r = await run(
      exe,
      [
        'join',
        cluster.endpoint,
        '--token-file',
        await tokenFile(dir, token),
        '--discovery-token-ca-cert-hash',
        cluster.caCertHash,
        '--node-name',
        node,
        '--store',
        'auto',
        '--cert-dir',
        join(dir, 'pki'),
        '--kubeconfig-out',
        join(dir, 'kubelet.conf'),
      ],
      { env: { PATH: process.env.PATH, HOME: dir, NO_COLOR: '1' } },
    );
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /has no keytar addon/);
    assert.equal(await whoami(join(dir, 'kubelet.conf')), `system:node:${node}`);
  });

  it('valid: kubejoin doctor from the packaged executable checks the real cluster (exit 0)', async (t) => {
    const dir = await workdir(t);
    const token = await signedToken();
    const r = await run(
      EXE_X64,
      ['doctor', cluster.endpoint, '--discovery-token-ca-cert-hash', cluster.caCertHash, '--token-file', await tokenFile(dir, token), '--timeout', '60s'],
      { env: { PATH: process.env.PATH, HOME: dir, NO_COLOR: '1' } },
    );
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it('invalid: admin commands that need the Kubernetes client say the edge executable leaves it out (exit 2)', async () => {
    const r = await run(EXE_X64, ['token', 'list', '--kubeconfig', '/nonexistent'], { env: { PATH: process.env.PATH, NO_COLOR: '1' } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /leaves out/);
    assert.match((await ok(EXE_X64, ['token', 'generate'])).stdout, /^[a-z0-9]{6}\.[a-z0-9]{16}\n$/);
  });
});
