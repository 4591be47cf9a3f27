import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { keychainAccount } from '../../agent/store/keychain.js';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { CLI, cliEnv, ensureBuilt, uniqueName, keychainJoinArgs } from '../helpers/cli.js';
import { workdir } from '../helpers/temp.js';
import { csrsOfToken, kubejoinRun, writeTokenFile } from './fault-helpers.js';

// docs/stores.md §4: a run that LOADED the keychain's pending key from an earlier, killed run
// removes it after a denial (earlier versions removed it only if they had written it, so every
// re-run met the same denied CSR).

let cluster: ClusterHandle;
const MANUAL_GROUP = 'system:bootstrappers:kubejoin:manual';
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
  const r = await cluster.kubectl([
    'create',
    'clusterrolebinding',
    'kubejoin-test-manual',
    '--clusterrole=system:node-bootstrapper',
    `--group=${MANUAL_GROUP}`,
  ]);
  assert.ok(r.code === 0 || /already exists|AlreadyExists/.test(r.stderr), r.stderr);
});

describe('keychain: resumed join, then a denial', () => {
  it('invalid: the reused pending key is removed after the reused CSR is denied (exit 5)', async (t) => {
    const keytar = (await import('keytar')).default;
    const service = uniqueName('kubejoin-test');
    t.after(async () => {
      for (const c of await keytar.findCredentials(service)) await keytar.deletePassword(service, c.account);
    });
    const dir = await workdir(t);
    const token = await cluster.createToken({ groups: [MANUAL_GROUP] });
    await cluster.waitForSignature(token.split('.')[0]!);
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
