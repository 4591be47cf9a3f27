import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { keychainAccount } from '../../agent/store/keychain.js';
import { CLI, cliEnv, ensureBuilt, run } from '../helpers/cli.js';
import { filesUnder, workdir } from '../helpers/temp.js';
import { joinMachine, keychainAccounts, keychainEnv, lc, nodeCsrs, status, whoami } from './lifecycle-helpers.js';

// `kubejoin reset` on a real join, for both stores (the keychain is the real gnome-keyring
// that run-tests.sh starts): what it shows, what it removes, idempotence, no TTY without
// --force, and that the cluster is left untouched.

let cluster: ClusterHandle;

before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

async function nodeObjects(node: string): Promise<string> {
  const csrs = await nodeCsrs(cluster, node);
  return JSON.stringify(csrs);
}

describe('kubejoin reset', () => {
  it('file store: without a TTY it needs --force (exit 2, nothing removed); then removes the credential, the kubeconfig and a pending rotation key; idempotent', async (t) => {
    const m = await joinMachine(t, cluster, 'file');
    // After a renew (a timestamped pem behind the symlink) and with an unfinished rotation's
    // key beside it (its content does not matter to reset).
    assert.equal((await lc(m, ['renew', '--force'])).code, 0);
    await writeFile(join(m.certDir, 'kubelet-client-rotation.key.tmp'), 'placeholder-not-a-key\n', { mode: 0o600 });
    const before = await filesUnder(m.dir);
    const clusterBefore = await nodeObjects(m.node);

    const refused = await lc(m, ['reset']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /error: reset asks before removing anything, and there is no terminal to ask on/);
    assert.match(refused.stderr, /Pass --force/);
    assert.match(refused.stdout, /kubejoin reset will remove the credential of node /);
    assert.deepEqual(await filesUnder(m.dir), before, 'nothing removed');
    assert.equal((await whoami(m)).code, 0, 'still joined');

    const r = await lc(m, ['reset', '--force']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`kubejoin reset removes the credential of node ${m.node}:`));
    assert.match(r.stdout, /client certificate and key: .*kubelet-client-current\.pem -> .*kubelet-client-\d{4}-/);
    assert.match(r.stdout, /key of an unfinished rotation: .*kubelet-client-rotation\.key\.tmp/);
    assert.match(r.stdout, /kubeconfig: .*kubelet\.conf/);
    assert.match(r.stdout, /nothing was changed in the cluster/);
    assert.match(r.stdout, new RegExp(`kubectl delete node ${m.node}`));
    assert.match(r.stdout, /The certificate cannot be revoked: it stays valid until /);
    assert.deepEqual(await filesUnder(m.dir), ['token'], "only the test's own token file is left");
    assert.equal(await nodeObjects(m.node), clusterBefore, 'the cluster was not touched');

    const again = await lc(m, ['reset']);
    assert.equal(again.code, 0, 'idempotent, and no question when there is nothing to remove');
    assert.match(again.stdout, /^Nothing to remove: no kubejoin credential, kubeconfig or pending key was found on this machine\.$/m);
    const s = await status(m);
    assert.equal(s.code, 10);
  });

  it('keychain store (real gnome-keyring): removes every entry and the kubeconfig; kubectl no longer authenticates; idempotent', async (t) => {
    const env = await keychainEnv(t);
    if (typeof env === 'string') return t.skip(env);
    const m = await joinMachine(t, cluster, 'keychain', env);
    // A pending join key of another (unfinished) join in the same keychain is "any pending key".
    const keytar = (await import('keytar')).default;
    const stray = keychainAccount('stray-node', cluster.server, 'pending-key');
    await keytar.setPassword(env.KUBEJOIN_KEYCHAIN_SERVICE!, stray, 'placeholder');
    assert.equal((await keychainAccounts(env)).length, 2, 'the #credential entry and the stray pending key');

    const r = await lc(m, ['reset', '--force']);
    assert.equal(r.code, 0, r.stderr);
    const service = env.KUBEJOIN_KEYCHAIN_SERVICE!;
    for (const [what, entry] of [['client certificate and key', 'credential']] as const) {
      assert.ok(r.stdout.includes(`${what}: keychain service "${service}", account "${keychainAccount(m.node, cluster.server, entry)}"`), what);
    }
    assert.ok(r.stdout.includes(`key of an unfinished join: keychain service "${service}", account "${stray}"`));
    assert.deepEqual(await keychainAccounts(env), [], 'keychain emptied');
    assert.deepEqual(await filesUnder(m.dir), ['token']);
    const who = await whoami(m);
    assert.notEqual(who.code, 0, 'the kubeconfig is gone');

    const again = await lc(m, ['reset', '--force']);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /Nothing to remove/);
  });

  it('on a terminal it asks: "n" removes nothing (exit 1), "y" removes (exit 0)', async (t) => {
    if (!existsSync('/usr/bin/script')) return t.skip('SKIP: script(1) from util-linux is needed for a pseudo-terminal');
    const dir = await workdir(t);
    await mkdir(join(dir, 'pki'), { mode: 0o700 });
    await writeFile(join(dir, 'pki', 'kubelet-client.key.tmp'), 'placeholder\n', { mode: 0o600 });
    const cmd = `${process.execPath} ${CLI} reset --cert-dir ${join(dir, 'pki')} --kubeconfig ${join(dir, 'k.conf')}`;
    const env = cliEnv({ KUBEJOIN_KEYCHAIN_SERVICE: `kubejoin-none-${process.pid}` });
    const no = await run('/usr/bin/script', ['-qec', cmd, '/dev/null'], { env, input: 'n\n' });
    assert.equal(no.code, 1, no.stdout);
    assert.match(no.stdout, /key of an unfinished join: .*kubelet-client\.key\.tmp/);
    assert.match(no.stdout, /Remove them\? \[y\/N\] Nothing removed\./);
    assert.deepEqual(await filesUnder(dir), ['pki/kubelet-client.key.tmp']);
    const yes = await run('/usr/bin/script', ['-qec', cmd, '/dev/null'], { env, input: 'y\n' });
    assert.equal(yes.code, 0, yes.stdout);
    assert.match(yes.stdout, /Removed 1 item\(s\)\./);
    assert.deepEqual(await filesUnder(dir), []);
  });
});
