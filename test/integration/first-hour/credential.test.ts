import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { testCluster, type ClusterHandle } from '../../harness/index.js';
import { CLI, ensureBuilt, kubejoin, run, type Run } from '../../helpers/cli.js';
import { filesUnder } from '../../helpers/temp.js';
import { joinMachine } from '../lifecycle-helpers.js';
import { privateKeyring } from '../private-keyring.js';

// `kubejoin credential` takes the join's store flags like every command after a join: at a
// shell, `kubejoin credential --kubeconfig-out …` prints the credential the join's kubeconfig
// names, in either store, as the ExecCredential kubectl reads. The exec plugin's own form
// (--server, --node-name) is unchanged. kubectl proves the output is a working credential.

let cluster: ClusterHandle;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

const haveKeyring = ['dbus-daemon', 'gnome-keyring-daemon', 'gdbus'].every((c) => ['/usr/bin', '/bin'].some((d) => existsSync(join(d, c))));

interface ExecCredential {
  apiVersion: string;
  kind: string;
  status: { clientCertificateData: string; clientKeyData: string; expirationTimestamp: string };
}

/** The whole of stdout is one ExecCredential (kubectl reads nothing else). */
function execCredentialOf(r: Run): ExecCredential {
  assert.equal(r.code, 0, r.stderr);
  const cred = JSON.parse(r.stdout) as ExecCredential;
  assert.equal(cred.apiVersion, 'client.authentication.k8s.io/v1');
  assert.equal(cred.kind, 'ExecCredential');
  assert.match(cred.status.clientCertificateData, /^-----BEGIN CERTIFICATE-----/);
  assert.match(cred.status.clientKeyData, /PRIVATE KEY-----\n$/);
  assert.match(cred.status.expirationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  return cred;
}

/** kubectl with a kubeconfig whose user runs `kubejoin credential <args>`: who the cluster sees. */
async function whoamiThrough(dir: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const kubeconfig = join(dir, 'through-credential.conf');
  const exec = { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [CLI, 'credential', ...args], interactiveMode: 'Never' };
  const ca = Buffer.from(await readFile(cluster.caFile)).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: cluster.server, 'certificate-authority-data': ca } }],
    users: [{ name: 'u', user: { exec } }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  };
  await writeFile(kubeconfig, JSON.stringify(config), { mode: 0o600 });
  const r = await run('kubectl', ['--kubeconfig', kubeconfig, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { env });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

describe("credential takes the join's store flags", () => {
  it('valid: file store: --store, --cert-dir and --kubeconfig-out (or --kubeconfig) print the credential; kubectl uses it', async (t) => {
    const m = await joinMachine(t, cluster, 'file', undefined, 'cred-file');
    const flags = ['--store', 'file', '--cert-dir', m.certDir, '--kubeconfig-out', m.kubeconfig];
    const cred = execCredentialOf(await kubejoin(['credential', ...flags], { env: m.env }));
    const pem = await readFile(join(m.certDir, 'kubelet-client-current.pem'), 'utf8');
    assert.ok(pem.startsWith(cred.status.clientCertificateData.trim()), 'the certificate of kubelet-client-current.pem');
    assert.ok(pem.includes(cred.status.clientKeyData.trim()), 'and its key');
    const alias = await kubejoin(['credential', '--kubeconfig', m.kubeconfig], { env: m.env });
    assert.equal(alias.stdout, (await kubejoin(['credential', ...flags], { env: m.env })).stdout);
    assert.equal(await whoamiThrough(m.dir, ['--kubeconfig-out', m.kubeconfig], m.env), `system:node:${m.node}`);
    const wrong = await kubejoin(['credential', '--store', 'keychain', '--kubeconfig-out', m.kubeconfig], { env: m.env });
    execCredentialOf(wrong);
    assert.match(wrong.stderr, /^warning: --store keychain, but .*kubelet\.conf names a file-store credential: using that\n$/);
  });

  it(
    'valid: keychain store: the store flags, and the exec plugin form, print the same credential',
    { skip: haveKeyring ? false : 'SKIP: needs dbus-daemon, gnome-keyring-daemon and gdbus' },
    async (t) => {
      const kr = await privateKeyring(t);
      const m = await joinMachine(t, cluster, 'keychain', { ...kr.env, NO_COLOR: '1' }, 'cred-kc');
      const located = execCredentialOf(await kubejoin(['credential', '--store', 'keychain', '--kubeconfig-out', m.kubeconfig], { env: m.env }));
      const plugin = execCredentialOf(await kubejoin(['credential', '--server', cluster.server, '--node-name', m.node, '--store', 'keychain'], { env: m.env }));
      assert.deepEqual(located, plugin);
      const elsewhere = await kubejoin(['credential', '--store', 'file', '--cert-dir', join(m.dir, 'pki'), '--kubeconfig', m.kubeconfig], { env: m.env });
      assert.deepEqual(execCredentialOf(elsewhere), plugin);
      assert.match(elsewhere.stderr, /warning: --store file, but .* names a keychain-store credential: using that/);
      assert.equal(await whoamiThrough(m.dir, ['--kubeconfig', m.kubeconfig], m.env), `system:node:${m.node}`);
    },
  );

  it('invalid: no kubeconfig where the flags point says where it looked (exit 10); nothing on stdout, nothing written', async (t) => {
    const m = await joinMachine(t, cluster, 'file', undefined, 'cred-none');
    const missing = join(m.dir, 'no', 'kubelet.conf');
    const r = await kubejoin(['credential', '--cert-dir', m.certDir, '--kubeconfig-out', missing], { env: m.env });
    assert.equal(r.code, 10, r.stderr);
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.startsWith(`error: no kubeconfig from a join at ${missing}\n  Pass the kubeconfig the join wrote with --kubeconfig-out`), r.stderr);
    assert.deepEqual(await filesUnder(m.dir), ['kubelet.conf', 'pki/kubelet-client-current.pem', 'token']);
  });

  for (const [name, args, message] of [
    ['only --server', ['--server', 'https://10.0.0.1:6443'], /--server and --node-name go together/],
    [
      'the exec form with --cert-dir',
      ['--server', 'https://10.0.0.1:6443', '--node-name', 'n', '--cert-dir', '/tmp'],
      /--server and --node-name name a keychain entry/,
    ],
    ['a bad --store', ['--store', 'disk'], /--store must be auto, keychain or file, not "disk"/],
    ['two kubeconfigs', ['--kubeconfig', '/a', '--kubeconfig-out', '/b'], /--kubeconfig is an alias of --kubeconfig-out, give one/],
    ['a mistyped flag', ['--kubeconfig-ou', '/a'], /unknown flag --kubeconfig-ou\n {2}Did you mean --kubeconfig-out\?/],
  ] as const) {
    it(`invalid: ${name}: exit 2, nothing on stdout`, async () => {
      const r = await kubejoin(['credential', ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, message);
    });
  }

  it('valid: its help lists the store flags and only its own exit codes', async () => {
    const r = await kubejoin(['credential', '--help']);
    assert.equal(r.code, 0);
    for (const flag of [
      '--store auto|keychain|file',
      '--cert-dir <dir>',
      '--kubeconfig-out <file>',
      '--kubeconfig <file>',
      '--server <url>',
      '--node-name <name>',
    ]) {
      assert.ok(r.stdout.includes(flag), flag);
    }
    assert.deepEqual(
      [...r.stdout.split('Exit codes:\n')[1]!.matchAll(/^ {2}([ \d]\d) /gm)].map((x) => Number(x[1])),
      [0, 1, 2, 7, 10],
    );
  });
});
