import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { keychainAccount } from '../../agent/store/keychain.js';
import type { ClusterHandle } from '../harness/index.js';
import { CLI, cliEnv, uniqueName, keychainJoinArgs, writeTokenFile } from '../helpers/cli.js';
import { workdir } from '../helpers/temp.js';
import { csrsOfToken, kubejoinRun } from './fault-helpers.js';
import { MANUAL_GROUP, joinTestCluster } from './join/setup.js';

// docs/stores.md §4: a run that LOADED the keychain's pending key from an earlier, killed run
// removes it after a denial (earlier versions removed it only if they had written it, so every
// re-run met the same denied CSR).

let cluster: ClusterHandle;
before(async () => {
  cluster = await joinTestCluster();
});

describe('keychain: resumed join, then a denial', () => {
  it('invalid: the reused pending key is removed after the reused CSR is denied (exit 5)', async (t) => {
    const keytar = (await import('keytar')).default;
    const service = uniqueName('kubejoin-test');
    t.after(async () => {
      for (const c of await keytar.findCredentials(service)) await keytar.deletePassword(service, c.account);
    });
    const dir = await workdir(t);
    const token = await cluster.signedToken({ groups: [MANUAL_GROUP] });
    const node = uniqueName('kc-deny');
    const env = { KUBEJOIN_KEYCHAIN_SERVICE: service };
    const args = keychainJoinArgs(cluster, await writeTokenFile(dir, token), node, dir);
    const pendingAccount = keychainAccount(node, cluster.server, 'pending-key');

    const killed = await kubejoinRun(args, { env, killAt: 'await-approval' });
    assert.equal(killed.signal, 'SIGKILL');
    assert.ok(await keytar.getPassword(service, pendingAccount), 'the pending key waits in the keychain');
    const [csr] = await csrsOfToken(cluster, token);
    assert.ok(csr);

    const child = spawn(process.execPath, [CLI, ...args], { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    for (let i = 0; i < 200 && !/reusing node-csr-/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(out, /reusing the key of an earlier, unfinished join/);
    const deny = await cluster.kubectl(['certificate', 'deny', csr.name]);
    assert.equal(deny.code, 0, deny.stderr);
    assert.equal(await exited, 5, out);
    assert.match(out, new RegExp(`${csr.name} was denied by the cluster`));
    assert.equal(await keytar.getPassword(service, pendingAccount), null, 'the loaded pending key is gone');
    assert.equal((await csrsOfToken(cluster, token)).length, 1);
  });
});
