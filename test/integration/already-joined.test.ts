import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { ensureBuilt, run, uniqueName, keychainJoinArgs, writeTokenFile } from '../helpers/cli.js';
import { filesUnder, workdir } from '../helpers/temp.js';
import { csrsOfToken, joinArgs, keySpki, kubejoinRun, readOptional } from './fault-helpers.js';

// docs/stores.md §6: a join on a machine that already holds a valid credential for the same
// node and cluster reports it and changes nothing; --force joins again, the previous
// credential staying in place until the new one is verified.

let cluster: ClusterHandle;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

const PEM = 'pki/kubelet-client-current.pem';

async function whoami(kubeconfig: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const r = await run('kubectl', ['--kubeconfig', kubeconfig, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { env });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

describe('already joined', () => {
  it('valid: a second join reports identity, expiry and where, exits 0, makes no key and no CSR', async (t) => {
    const dir = await workdir(t);
    const token = await cluster.signedToken();
    const node = uniqueName('again');
    const args = joinArgs(cluster, await writeTokenFile(dir, token), node, dir);
    assert.equal((await kubejoinRun(args)).code, 0);
    const before = await readOptional(join(dir, PEM));

    const r = await kubejoinRun(args);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Already joined as system:node:${node} \\(groups: system:nodes, system:authenticated\\): nothing was requested`));
    assert.match(r.stdout, /certificate: valid until \d{4}-\d\d-\d\dT/);
    assert.match(r.stdout, new RegExp(`stored in: +file: ${join(dir, PEM)}`));
    assert.match(r.stdout, /--force/);
    assert.equal(await readOptional(join(dir, PEM)), before, 'the credential is untouched');
    assert.deepEqual(await filesUnder(dir), ['kubelet.conf', PEM, 'token'], 'no pending key');
    assert.equal((await csrsOfToken(cluster, token)).length, 1, 'no second CSR');

    const json = await kubejoinRun([...args, '-o', 'json']);
    assert.equal(json.code, 0);
    const result = (JSON.parse(json.stdout.trim().split('\n').at(-1)!) as { result: { ok: boolean; alreadyJoined?: boolean; csrName: string } }).result;
    assert.equal(result.alreadyJoined, true);
    assert.equal(result.csrName, '');
  });

  it('valid: --force joins again; killed before the new credential is verified, the previous one is still in place', async (t) => {
    const dir = await workdir(t);
    const token = await cluster.signedToken();
    const node = uniqueName('force');
    const args = joinArgs(cluster, await writeTokenFile(dir, token), node, dir);
    assert.equal((await kubejoinRun(args)).code, 0);
    const previous = (await readOptional(join(dir, PEM)))!;

    const killed = await kubejoinRun([...args, '--force'], { killAt: 'verify-credentials' });
    assert.equal(killed.signal, 'SIGKILL');
    assert.equal(await readOptional(join(dir, PEM)), previous, 'the previous credential stays until the new one is verified');
    assert.equal(await whoami(join(dir, 'kubelet.conf')), `system:node:${node}`);
    const pendingKey = (await readOptional(join(dir, 'pki/kubelet-client.key.tmp')))!;
    assert.notEqual(keySpki(pendingKey), keySpki(previous), 'a new key');

    const r = await kubejoinRun([...args, '--force']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Joined as system:node:${node}`));
    const now = (await readOptional(join(dir, PEM)))!;
    assert.equal(keySpki(now), keySpki(pendingKey), 'the new credential uses the key saved before its CSR');
    assert.deepEqual(await filesUnder(dir), ['kubelet.conf', PEM, 'token']);
    assert.equal((await csrsOfToken(cluster, token)).length, 2, 'the first join and the forced one: one CSR each');
    assert.equal(await whoami(join(dir, 'kubelet.conf')), `system:node:${node}`);
  });

  it('valid: a credential for another node name in the same place is replaced, and the join says so', async (t) => {
    const dir = await workdir(t);
    const token = await cluster.signedToken();
    const tokenPath = await writeTokenFile(dir, token);
    assert.equal((await kubejoinRun(joinArgs(cluster, tokenPath, uniqueName('old'), dir))).code, 0);
    const node = uniqueName('new');
    const r = await kubejoinRun(joinArgs(cluster, tokenPath, node, dir));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /is replaced: its subject is O=system:nodes, CN=system:node:old-/);
    assert.equal(await whoami(join(dir, 'kubelet.conf')), `system:node:${node}`);
  });

  it('valid: keychain store, a second join reports the stored credential', async (t) => {
    const dir = await workdir(t);
    const token = await cluster.signedToken();
    const node = uniqueName('kc-again');
    const service = uniqueName('kubejoin-test');
    t.after(async () => {
      const keytar = (await import('keytar')).default;
      for (const c of await keytar.findCredentials(service)) await keytar.deletePassword(service, c.account);
    });
    const env = { KUBEJOIN_KEYCHAIN_SERVICE: service };
    const args = keychainJoinArgs(cluster, await writeTokenFile(dir, token), node, dir);
    assert.equal((await kubejoinRun(args, { env })).code, 0);
    const r = await kubejoinRun(args, { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Already joined as system:node:${node}`));
    assert.match(r.stdout, new RegExp(`stored in: +keychain: keychain service "${service}"`));
    assert.equal((await csrsOfToken(cluster, token)).length, 1);
  });
});
