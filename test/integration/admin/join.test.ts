// The admin half proven by the node half: joins (the built CLI, `node dist/cli.mjs join`) with
// tokens and join lines made by kubejoin's admin commands, on a kubeadm-like cluster and on a
// bare one that only kubejoin prepared.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startCluster, testCluster, type ClusterHandle } from '../../harness/index.js';
import { kubejoinInProcess } from '../../helpers/cli-in-process.js';
import { CLI, ensureBuilt, run, type Run } from '../../helpers/cli.js';
import { eventually } from '../../helpers/poll.js';
import { tempDir } from '../../helpers/temp.js';

let shared: ClusterHandle;
let bare: ClusterHandle;

before(async () => {
  await ensureBuilt();
  [shared, bare] = await Promise.all([testCluster(), startCluster({ bare: true })]);
});
after(async () => bare?.stop());

/** Runs the built `kubejoin join …` with a file store in a fresh directory. */
async function joinNode(args: string[], extra: string[] = []): Promise<Run & { dir: string }> {
  const dir = tempDir('kubejoin-admin-join-');
  const node = `admin-join-${Math.random().toString(36).slice(2, 8)}`;
  const full = [CLI, ...args, '--store', 'file', '--cert-dir', join(dir, 'pki'), '--kubeconfig-out', join(dir, 'kubelet.conf'), '--node-name', node, ...extra];
  const r = await run(process.execPath, full, { env: { PATH: process.env.PATH ?? '', HOME: dir, XDG_STATE_HOME: dir, NO_COLOR: '1' } });
  return { ...r, dir };
}

/** The words of the kubeadm line --print-join-command prints, pasted after "kubejoin" (no quoting to undo). */
function pasted(output: string): string[] {
  const line = output.split('\n').find((l) => l.startsWith('# or, as kubeadm prints it'));
  assert.ok(line, output);
  const words = line
    .slice(line.indexOf(': ') + 2)
    .trim()
    .split(/\s+/);
  assert.deepEqual(words.slice(0, 2), ['kubeadm', 'join']);
  return words;
}

async function signatureGone(c: ClusterHandle, id: string): Promise<true | undefined> {
  const res = await c.request({ path: '/api/v1/namespaces/kube-public/configmaps/cluster-info' });
  return res.json<{ data: Record<string, string> }>().data[`jws-kubeconfig-${id}`] === undefined ? true : undefined;
}

test('kubeadm-like cluster: the pasted --print-join-command line joins; after token delete the join fails with exit 4', async () => {
  const kc = ['--kubeconfig', shared.adminKubeconfig];
  const line = await kubejoinInProcess(['token', 'create', ...kc, '--print-join-command']);
  assert.equal(line.code, 0, line.stderr);
  const args = pasted(line.stdout);
  const id = args[args.indexOf('--token') + 1]!.slice(0, 6);
  await shared.waitForSignature(id);

  const ok = await joinNode(args);
  assert.equal(ok.code, 0, `join failed:\n${ok.stdout}\n${ok.stderr}`);
  assert.ok(existsSync(join(ok.dir, 'kubelet.conf')));

  assert.equal((await kubejoinInProcess(['token', 'delete', ...kc, id])).code, 0);
  await eventually(`the BootstrapSigner to drop jws-kubeconfig-${id}`, () => signatureGone(shared, id));
  const refused = await joinNode(args, ['--discovery-timeout', '6s']);
  assert.equal(refused.code, 4, `expected exit 4:\n${refused.stdout}\n${refused.stderr}`);
  assert.match(refused.stdout + refused.stderr, /invalid for this cluster or it has expired/);
});

test('bare cluster: a join fails first with "not set up for token bootstrapping", then succeeds after cluster prepare, token create and cluster sign', async () => {
  const kc = ['--kubeconfig', bare.adminKubeconfig];
  const early = await bare.createToken();
  const refused = await joinNode(['join', bare.endpoint, '--token', early, '--discovery-token-ca-cert-hash', bare.caCertHash, '--discovery-timeout', '6s']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stdout + refused.stderr, /not set up for token bootstrapping/);

  assert.equal((await kubejoinInProcess(['cluster', 'prepare', ...kc])).code, 0);
  const line = await kubejoinInProcess(['token', 'create', ...kc, '--print-join-command']);
  assert.equal(line.code, 0, line.stderr);
  const sign = await kubejoinInProcess(['cluster', 'sign', ...kc]);
  assert.equal(sign.code, 0, sign.stderr);

  const ok = await joinNode(pasted(line.stdout));
  assert.equal(ok.code, 0, `join failed:\n${ok.stdout}\n${ok.stderr}`);
  assert.ok(existsSync(join(ok.dir, 'kubelet.conf')));
});
