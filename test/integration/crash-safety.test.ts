import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PHASES } from '../../agent/contract/index.js';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { keychainAccount } from '../../agent/store/keychain.js';
import { cliEnv, ensureBuilt, run, uniqueName, keychainJoinArgs, writeTokenFile } from '../helpers/cli.js';
import { filesUnder, workdir } from '../helpers/temp.js';
import { certSpki, csrsOfToken, joinArgs, keySpki, kubejoinRun, readOptional } from './fault-helpers.js';

// docs/stores.md §5: a join SIGKILLed at each phase, and between the writes of the file
// store, then run again, against the real control plane. KUBEJOIN_TEST_KILL_AT makes the
// CLI kill itself at exactly that point.

let cluster: ClusterHandle;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

// Store points in the order a join reaches them (agent/store/crash-point.ts).
const POINTS = [
  ...PHASES.slice(0, PHASES.indexOf('request-certificate') + 1),
  'pending-key-staged',
  'pending-key-saved',
  ...PHASES.slice(PHASES.indexOf('await-approval'), PHASES.indexOf('store-credentials') + 1),
  'credential-staged',
  'verify-credentials',
  'journal-written',
  'first-rename',
];
// From here on the killed run has saved its key before sending the CSR.
const KEY_SAVED_FROM = POINTS.indexOf('pending-key-saved');
// Points where the killed run leaves one of its temporaries behind for the next run to sweep.
const LEAVES_TEMPORARY = new Set(['pending-key-staged', 'credential-staged', 'verify-credentials']);

async function kubeconfigWorks(path: string, node: string): Promise<void> {
  const r = await run('kubectl', ['--kubeconfig', path, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], {});
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `system:node:${node}`);
}

const PEM = 'pki/kubelet-client-current.pem';
const PENDING = 'pki/kubelet-client.key.tmp';

describe('crash safety: SIGKILL at every phase, then join again', () => {
  for (const [i, point] of POINTS.entries()) {
    it(`killed at ${point}: the re-run joins with one CSR, the key saved before it, no temporary left`, async (t) => {
      const dir = await workdir(t);
      const token = await cluster.signedToken();
      const node = uniqueName('crash');
      const args = joinArgs(cluster, await writeTokenFile(dir, token), node, dir);

      const killed = await kubejoinRun(args, { killAt: point });
      assert.equal(killed.signal, 'SIGKILL', `expected the hook to kill the join at ${point}: ${killed.stdout}${killed.stderr}`);
      const left = await filesUnder(dir);
      const pendingKey = await readOptional(join(dir, PENDING));
      if (i >= KEY_SAVED_FROM) assert.ok(pendingKey, `the key is saved before the CSR (${left.join(', ')})`);
      else assert.equal(pendingKey, undefined);
      if (LEAVES_TEMPORARY.has(point))
        assert.ok(
          left.some((f) => f.includes('.kubejoin-tmp.')),
          `a temporary is left to sweep: ${left.join(', ')}`,
        );

      const again = await kubejoinRun(args);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.deepEqual(await filesUnder(dir), ['kubelet.conf', PEM, 'token'], 'no pending key, no temporary, no journal');
      const csrs = await csrsOfToken(cluster, token);
      assert.equal(csrs.length, 1, `exactly one CSR for the node: ${JSON.stringify(csrs)}`);
      const pem = (await readOptional(join(dir, PEM)))!;
      assert.equal(certSpki(pem), keySpki(pem), 'certificate and key are a pair');
      if (pendingKey) assert.equal(keySpki(pem), keySpki(pendingKey), 'the credential uses the key saved before the CSR');
      if (point === 'journal-written' || point === 'first-rename') assert.match(again.stdout, /Already joined as system:node:/);
      await kubeconfigWorks(join(dir, 'kubelet.conf'), node);
    });
  }
});

describe('crash safety, keychain store: the pair is one entry', () => {
  for (const point of ['pending-key-saved', 'credential-staged', 'keychain-entry-written']) {
    it(`killed at ${point}: the re-run joins with one CSR and the key saved before it; old pair or new, never mixed`, async (t) => {
      const keytar = (await import('keytar')).default;
      const service = uniqueName('kubejoin-test');
      t.after(async () => {
        for (const c of await keytar.findCredentials(service)) await keytar.deletePassword(service, c.account);
      });
      const dir = await workdir(t);
      const token = await cluster.signedToken();
      const node = uniqueName('kc-crash');
      const env = { KUBEJOIN_KEYCHAIN_SERVICE: service };
      const args = keychainJoinArgs(cluster, await writeTokenFile(dir, token), node, dir);
      const account = (e: 'credential' | 'pending-key'): string => keychainAccount(node, cluster.server, e);

      const killed = await kubejoinRun(args, { env, killAt: point });
      assert.equal(killed.signal, 'SIGKILL');
      const pendingKey = await keytar.getPassword(service, account('pending-key'));
      assert.ok(pendingKey, 'the key is saved before the CSR');
      const pair = await keytar.getPassword(service, account('credential'));
      if (pair) assert.equal(certSpki(pair), keySpki(pair), 'a stored pair always matches');

      const again = await kubejoinRun(args, { env });
      assert.equal(again.code, 0, again.stdout + again.stderr);
      const stored = (await keytar.getPassword(service, account('credential')))!;
      assert.equal(certSpki(stored), keySpki(stored));
      assert.equal(keySpki(stored), keySpki(pendingKey), 'the key saved before the CSR');
      assert.equal(await keytar.getPassword(service, account('pending-key')), null);
      assert.equal((await csrsOfToken(cluster, token)).length, 1);
      assert.deepEqual(await filesUnder(dir), ['kc.conf', 'token'], 'no temporary beside the kubeconfig');
      const who = await run('kubectl', ['--kubeconfig', join(dir, 'kc.conf'), 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], {
        env: cliEnv(env),
      });
      assert.equal(who.stdout, `system:node:${node}`, who.stderr);
    });
  }
});
