import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testCluster, type ClusterHandle } from '../../harness/index.js';
import { existsSync } from 'node:fs';
import { chmod, chown } from 'node:fs/promises';
import { join } from 'node:path';
import { assertNoSecret, CLI, ensureBuilt, kubejoin, run, writeTokenFile } from '../../helpers/cli.js';
import { filesUnder, workdir } from '../../helpers/temp.js';
import { PIN, TOKEN } from '../../helpers/fixtures.js';
import { joinMachine } from '../lifecycle-helpers.js';

// The built CLI the way a new operator uses it: the join's store flags on every command after
// it, "did you mean", bare `kubejoin` and `kubejoin help <command>`, and JSON mode's result line
// on a usage error.

let cluster: ClusterHandle;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

describe('one set of store flags for every command after a join', () => {
  it("valid: status, renew and reset take the join's --store, --cert-dir and --kubeconfig-out", async (t) => {
    const m = await joinMachine(t, cluster, 'file');
    const flags = ['--store', 'file', '--cert-dir', m.certDir, '--kubeconfig-out', m.kubeconfig];
    const s = await kubejoin(['status', ...flags], { env: m.env });
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, new RegExp(`Kubeconfig: +${m.kubeconfig.replace(/[.]/g, '\\.')}`));
    const r = await kubejoin(['renew', ...flags], { env: m.env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Not due/m);
    const wrong = await kubejoin(['status', '--store', 'keychain', '--kubeconfig-out', m.kubeconfig], { env: m.env });
    assert.equal(wrong.code, 0, wrong.stderr);
    assert.match(wrong.stderr, /warning: --store keychain, but .* names a file-store credential: showing that/);
    const elsewhere = await kubejoin(['renew', '--cert-dir', `${m.dir}/elsewhere`, '--kubeconfig', m.kubeconfig], { env: m.env });
    assert.equal(elsewhere.code, 0, elsewhere.stderr);
    assert.ok(
      elsewhere.stderr.includes(`warning: --cert-dir ${m.dir}/elsewhere, but ${m.kubeconfig} names the credential in ${m.certDir}: using that`),
      elsewhere.stderr,
    );
    const asks = await kubejoin(['reset', '--store', 'keychain', '--kubeconfig-out', m.kubeconfig], { env: m.env });
    assert.equal(asks.code, 2, 'no terminal to ask on');
    assert.match(asks.stderr, /warning: --store keychain, but .* names a file-store credential: using that/);
    const x = await kubejoin(['reset', '--force', ...flags], { env: m.env });
    assert.equal(x.code, 0, x.stderr);
    assert.deepEqual(await filesUnder(m.dir), ['token']);
  });

  it('invalid: status without the kubeconfig says where it looked, and that the cert dir holds a credential (exit 10)', async (t) => {
    const m = await joinMachine(t, cluster, 'file');
    const elsewhere = `${m.dir}/no/kubelet.conf`;
    const s = await kubejoin(['status', '--cert-dir', m.certDir, '--kubeconfig-out', elsewhere], { env: m.env });
    assert.equal(s.code, 10, s.stderr);
    assert.match(s.stdout, new RegExp(`no kubeconfig from a join at ${elsewhere.replace(/[.]/g, '\\.')}; ${m.certDir} holds kubelet-client-current\\.pem`));
    assert.match(s.stdout, /pass it with --kubeconfig-out/);
  });

  it('invalid: --kubeconfig and --kubeconfig-out naming two files, a bad --store: exit 2', async () => {
    const two = await kubejoin(['reset', '--kubeconfig', '/a', '--kubeconfig-out', '/b']);
    assert.equal(two.code, 2, two.stderr);
    assert.match(two.stderr, /--kubeconfig is an alias of --kubeconfig-out, give one/);
    const store = await kubejoin(['agent', '--store', 'disk']);
    assert.equal(store.code, 2, store.stderr);
    assert.match(store.stderr, /--store must be auto, keychain or file, not "disk"/);
  });

  it('invalid: an unknown flag gets "did you mean"; an unknown command too, without the whole help', async () => {
    const flag = await kubejoin(['status', '--kubeconfig-ou', '/x']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /error: unknown flag --kubeconfig-ou\n {2}Did you mean --kubeconfig-out\?/);
    const command = await kubejoin(['stauts']);
    assert.equal(command.code, 2);
    assert.match(command.stderr, /error: unknown command "stauts"\n {2}Did you mean "kubejoin status"\?/);
    assert.doesNotMatch(command.stderr + command.stdout, /Commands:/);
  });
});

describe('messages that say what to do', () => {
  it('invalid: no token says how to give one; a missing token file says so in words (exit 2)', async () => {
    const none = await kubejoin(['join', '127.0.0.1:1', '--discovery-token-ca-cert-hash', PIN]);
    assert.equal(none.code, 2, none.stderr);
    assert.match(
      none.stderr,
      /error: a bootstrap token is required\n {2}Give it with --token-file <file> \("-" for stdin\), the KUBEJOIN_TOKEN variable, or --token\./,
    );
    const missing = await kubejoin(['join', '127.0.0.1:1', '--discovery-token-ca-cert-hash', PIN, '--token-file', '/nonexistent/token']);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /cannot read --token-file \/nonexistent\/token: no such file \(ENOENT\)/);
  });
});

describe('not root with the default paths', () => {
  const skip =
    process.getuid?.() !== 0 ? 'SKIP: needs root to run the CLI as another user (setpriv)' : !existsSync('/usr/bin/setpriv') ? 'SKIP: no setpriv' : false;
  it('valid: a join as a normal user warns where the credential goes and gives the sudo line', { skip }, async (t) => {
    const dir = await workdir(t);
    await chmod(dir, 0o777);
    const file = await writeTokenFile(dir, TOKEN);
    await chown(file, 65534, 65534);
    const r = await run(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        CLI,
        'join',
        '127.0.0.1:1',
        '--token-file',
        file,
        '--discovery-token-ca-cert-hash',
        PIN,
        '--discovery-timeout',
        '1s',
        '--store',
        'file',
      ],
      { env: { PATH: process.env.PATH ?? '', HOME: dir, XDG_STATE_HOME: join(dir, 'state'), NO_COLOR: '1' } },
    );
    assert.equal(r.code, 6, r.stderr);
    assert.ok(
      r.stderr.includes(
        `warning: not running as root, so the kubeconfig goes to ${dir}/state/kubejoin/kubelet.conf (a file-store credential to ${dir}/state/kubejoin/pki), where no kubelet reads it. To join this machine's kubelet, run the same line with sudo: sudo kubejoin join …`,
      ),
      r.stderr,
    );
    assertNoSecret(r, TOKEN);
  });
});

describe('help', () => {
  it('valid: bare kubejoin prints the help and exits 0; "kubejoin help join" is join\'s help', async () => {
    const bare = await kubejoin([]);
    assert.equal(bare.code, 0);
    assert.match(bare.stdout, /^Usage: kubejoin <command> \[flags\]/m);
    const help = await kubejoin(['help', 'join']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: kubejoin join <host:port> \[flags\]/);
  });
  it('valid: every placeholder in help is written one way, <file>', async () => {
    const commands = [
      ['join'],
      ['doctor'],
      ['status'],
      ['renew'],
      ['agent'],
      ['reset'],
      ['credential'],
      ['ca-hash'],
      ['cluster', 'prepare'],
      ['cluster', 'sign'],
      ['token', 'list'],
      ['token', 'delete'],
      ['token', 'prune'],
    ];
    for (const command of commands) {
      const help = await kubejoin([...command, '--help']);
      assert.equal(help.code, 0, help.stderr);
      assert.doesNotMatch(help.stdout, /--[a-z-]+ [A-Z]{2,}\b/, `kubejoin ${command.join(' ')} --help`);
    }
  });
  it('valid: a command lists only the exit codes it can give, aligned', async () => {
    const reset = await kubejoin(['reset', '--help']);
    assert.match(
      reset.stdout,
      /Exit codes:\n {3}0 {2}success\n {3}1 {2}internal error\n {3}2 {2}invalid input or usage\n {3}7 {2}the credential store failed\n?$/,
    );
    const status = await kubejoin(['status', '--help']);
    assert.match(status.stdout, /\n {2}12 {2}the credential is valid/);
    assert.doesNotMatch(status.stdout, /\n {3}4 {2}/);
  });
});

describe('JSON mode always ends with a result line', () => {
  for (const argv of [
    ['join', '--bogus', '-o', 'json'],
    ['join', '127.0.0.1:1', '--token', TOKEN, '--discovery-token-ca-cert-hash', 'sha256:12', '--output=json'],
    ['join', '127.0.0.1:1', '--token', TOKEN, '--discovery-token-ca-cert-hash', PIN, '--control-plane', '-o=json'],
  ]) {
    it(`invalid: ${argv.join(' ').replace(TOKEN, '<token>')}: exit 2, the last stdout line is the failed result`, async () => {
      const r = await kubejoin(argv);
      assert.equal(r.code, 2, r.stderr);
      const last = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { type: string; result: { ok: boolean; error: { exitCode: number; message: string } } };
      assert.equal(last.type, 'result');
      assert.equal(last.result.ok, false);
      assert.equal(last.result.error.exitCode, 2);
      assertNoSecret(r, TOKEN);
    });
  }
  it('invalid: status --bogus -o json prints one JSON object with the error', async () => {
    const r = await kubejoin(['status', '--bogus', '-o', 'json']);
    assert.equal(r.code, 2);
    assert.deepEqual(JSON.parse(r.stdout), { exitCode: 2, error: { category: 'invalid-input', exitCode: 2, message: 'unknown flag --bogus' } });
  });
});
