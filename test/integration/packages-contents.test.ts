import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Run } from '../helpers/cli.js';
import {
  DEB_ARM64,
  DEB_X64,
  EXE_ARM64,
  EXE_X64,
  EXPECTED_FILES,
  PKG,
  RPM_ARM64,
  RPM_X64,
  UNIT,
  VERSION,
  debFiles,
  elfMachine,
  ok,
  reportMissingPackages,
  run,
  skipReason,
  usePackages,
} from '../helpers/packages.js';
import { workdir } from '../helpers/temp.js';

// The edge packages of `npm run package` as an operator receives them: checksums,
// executables for both architectures, the deb and rpm contents and scripts, the systemd
// units, the man page and completions. The joins are in packages-join.test.ts.

reportMissingPackages('test/integration/packages-contents.test.ts');

describe('edge packages: contents (dist/packages from npm run package)', { skip: skipReason }, () => {
  const pkg = usePackages();

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
    assert.equal(elfMachine(join(pkg.debRoot, 'usr/bin/kubejoin')), 62);
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
      assert.deepEqual(files, ['/etc/kubejoin', '/usr/lib/kubejoin', '/usr/share/doc/kubejoin', ...EXPECTED_FILES.map((f) => `/${f}`)].sort());
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
    const unit = await readFile(join(pkg.debRoot, UNIT), 'utf8');
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
    await writeFile(join(dir, 'kubejoin-join.service'), unit.replaceAll('/usr/bin/kubejoin', join(pkg.debRoot, 'usr/bin/kubejoin')));
    const agent = await readFile(join(pkg.debRoot, 'usr/lib/systemd/system/kubejoin-agent.service'), 'utf8');
    for (const line of [
      'ExecStart=/usr/bin/kubejoin agent',
      'ConditionPathExists=/etc/kubernetes/kubelet.conf',
      'RestartPreventExitStatus=10 11',
      'NoNewPrivileges=yes',
    ]) {
      assert.ok(agent.split('\n').includes(line), `agent unit has "${line}"`);
    }
    await writeFile(join(dir, 'kubejoin-agent.service'), agent.replaceAll('/usr/bin/kubejoin', join(pkg.debRoot, 'usr/bin/kubejoin')));
    for (const name of ['kubejoin-join.service', 'kubejoin-agent.service']) {
      const r = await run('systemd-analyze', ['verify', join(dir, name)], { env: { ...process.env, MANPATH: join(pkg.debRoot, 'usr/share/man') } });
      assert.equal(r.code, 0, `${name}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trim(), '', `${name}: no warnings`);
    }
  });

  it('valid: man page and bash/zsh completions come from the help texts', async (t) => {
    const man = await ok('man', ['-l', '-P', 'cat', join(pkg.debRoot, 'usr/share/man/man1/kubejoin.1.gz')], { env: { ...process.env, MANWIDTH: '120' } });
    for (const s of ['kubejoin join', '--discovery-token-ca-cert-hash', 'kubejoin token create', '/etc/kubejoin/join.yaml'])
      assert.ok(man.stdout.includes(s), s);
    const bash = join(pkg.debRoot, 'usr/share/bash-completion/completions/kubejoin');
    const complete = (words: string[]): Promise<Run> =>
      ok('bash', [
        '-c',
        `source '${bash}'; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _kubejoin; echo "\${COMPREPLY[*]}"`,
      ]);
    assert.equal((await complete(['kubejoin', 'jo'])).stdout.trim(), 'join');
    assert.equal((await complete(['kubejoin', 'join', '--store', ''])).stdout.trim(), 'auto keychain file');
    assert.equal((await complete(['kubejoin', 'token', 'list', '-o', ''])).stdout.trim(), 'table wide json yaml');
    assert.match((await complete(['kubejoin', 'join', '--to'])).stdout, /--token --token-file/);
    const zsh = await run('zsh', ['-n', join(pkg.debRoot, 'usr/share/zsh/vendor-completions/_kubejoin')], {}).catch(() => undefined);
    if (!zsh) return t.skip('SKIP zsh syntax check: zsh is not installed (apt-get install zsh)');
    assert.equal(zsh.code, 0, zsh.stderr);
  });
});
