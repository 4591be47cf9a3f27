import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterHandle } from '../../harness/index.js';
import { probeKeychain, keychainAccount } from '../../../agent/store/keychain.js';
import { assertNoSecret, fileStoreFlags, cliEnv, kubejoin, uniqueName, keychainJoinArgs, tokenJoinArgs, writeTokenFile } from '../../helpers/cli.js';
import { filesUnder, workdir } from '../../helpers/temp.js';
import { joinTestCluster, whoami } from './setup.js';

// `kubejoin join` end to end against the real control plane (kube-apiserver,
// kube-controller-manager and etcd v1.36.3 from test/harness): where the credentials go.

let cluster: ClusterHandle;
before(async () => {
  cluster = await joinTestCluster();
});

describe('kubejoin join against the real control plane: stores', () => {
  it('valid: file store; the kubeconfig works with kubectl as system:node:<name>', async (t) => {
    const dir = await workdir(t);
    const token = await cluster.signedToken();
    const node = uniqueName('file');
    const r = await kubejoin([...tokenJoinArgs(cluster, await writeTokenFile(dir, token), node), ...fileStoreFlags(dir)]);
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Joined as system:node:${node}`));
    const who = await whoami(join(dir, 'kubelet.conf'));
    assert.equal(who.username, `system:node:${node}`);
    assert.ok(who.groups.includes('system:nodes'));
    assert.deepEqual(await filesUnder(dir), ['kubelet.conf', 'pki/kubelet-client-current.pem', 'token']);
    for (const f of ['kubelet.conf', 'pki/kubelet-client-current.pem']) assert.equal((await stat(join(dir, f))).mode & 0o777, 0o600, f);
    assert.equal((await stat(join(dir, 'pki'))).mode & 0o777, 0o700);
    const pem = await readFile(join(dir, 'pki/kubelet-client-current.pem'), 'utf8');
    assert.ok(pem.indexOf('BEGIN CERTIFICATE') < pem.indexOf('PRIVATE KEY'), 'certificate blocks then key, like the kubelet');
  });

  it('valid: keychain store; kubectl authenticates through the exec plugin; no secret in the kubeconfig', async (t) => {
    const problem = await probeKeychain(process.env);
    if (problem) return t.skip(`SKIP: no reachable keychain here (${problem}); npm test runs inside dbus-run-session with gnome-keyring`);
    const dir = await workdir(t);
    const token = await cluster.signedToken();
    const node = uniqueName('keychain');
    const service = uniqueName('kubejoin-test');
    const env = cliEnv({ KUBEJOIN_KEYCHAIN_SERVICE: service });
    t.after(async () => {
      const keytar = (await import('keytar')).default;
      for (const c of await keytar.findCredentials(service)) await keytar.deletePassword(service, c.account);
    });
    const r = await kubejoin([...keychainJoinArgs(cluster, await writeTokenFile(dir, token), node, dir), '-o', 'json'], { env });
    assertNoSecret(r, token);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { result: { store: { kind: string } } };
    assert.equal(result.result.store.kind, 'keychain');
    const kubeconfig = await readFile(join(dir, 'kc.conf'), 'utf8');
    assert.doesNotMatch(kubeconfig, /PRIVATE KEY|client-key|client-certificate/);
    assert.match(kubeconfig, /client\.authentication\.k8s\.io\/v1/);
    const keytar = (await import('keytar')).default;
    const pair = await keytar.getPassword(service, keychainAccount(node, cluster.server, 'credential'));
    assert.ok(pair && /BEGIN CERTIFICATE[\s\S]+PRIVATE KEY/.test(pair) && Buffer.byteLength(pair) < 2500, 'certificate and key in one entry under 2,500 bytes');
    assert.equal(await keytar.getPassword(service, keychainAccount(node, cluster.server, 'key')), null, 'no separate key entry');
    assert.equal(await keytar.getPassword(service, keychainAccount(node, cluster.server, 'pending-key')), null, 'pending key removed');
    const who = await whoami(join(dir, 'kc.conf'), env);
    assert.equal(who.username, `system:node:${node}`);
    assert.ok(who.groups.includes('system:nodes'));
  });

  it('valid: auto store with no keychain reachable falls back to files and says why', async (t) => {
    const dir = await workdir(t);
    const token = await cluster.signedToken();
    const env = cliEnv({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/kubejoin-bus', DISPLAY: '' });
    const r = await kubejoin(
      [
        ...tokenJoinArgs(cluster, await writeTokenFile(dir, token), uniqueName('auto')),
        '--cert-dir',
        join(dir, 'pki'),
        '--kubeconfig-out',
        join(dir, 'kubelet.conf'),
      ],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /stored in: +file: .*kubelet-client-current\.pem/);
    assert.match(r.stdout, /auto: .*D-Bus.*using kubelet-compatible files/);
  });

  it('invalid: --store keychain with no keychain is exit 7, says what is missing, writes nothing', async (t) => {
    const dir = await workdir(t);
    const token = await cluster.signedToken();
    const env = cliEnv({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/kubejoin-bus', DISPLAY: '' });
    const r = await kubejoin(keychainJoinArgs(cluster, await writeTokenFile(dir, token), uniqueName('nokc'), dir), { env });
    assertNoSecret(r, token);
    assert.equal(r.code, 7);
    assert.match(r.stderr, /--store keychain was requested but no D-Bus session bus/);
    assert.match(r.stderr, /--store file/);
    assert.deepEqual(await filesUnder(dir), ['token']);
  });
});
