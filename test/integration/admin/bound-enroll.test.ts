// Enrolling a fleet against the real control plane: `token create --nodes-from` with one kiosk
// provisioning file per node (mode 0600, never over an existing file, all or nothing), a kiosk
// joining from its file, and `token list` showing binding and single use.
import assert from 'node:assert/strict';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { loadProvision } from '../../../main/provision.js';
import type { ClusterHandle } from '../../harness/index.js';
import { kubejoinInProcess } from '../../helpers/cli-in-process.js';
import { uniqueName } from '../../helpers/cli.js';
import { filesUnder, tempDir } from '../../helpers/temp.js';
import { approveOnce, boundCluster, pendingCsrs, startJoin } from './bound-helpers.js';

let c: ClusterHandle;
let approverKc: string;

before(async () => ({ c, approverKc } = await boundCluster()));

/** Node name → token id of every bound token on the server. */
async function boundOnServer(): Promise<Map<string, string>> {
  const r = await kubejoinInProcess(['token', 'list', '-o', 'json', '--kubeconfig', c.adminKubeconfig]);
  assert.equal(r.code, 0, r.stderr);
  const items = (JSON.parse(r.stdout) as { items: { token: string; nodeName?: string; singleUse?: boolean }[] }).items;
  return new Map(items.filter((i) => i.nodeName !== undefined).map((i) => [i.nodeName!, i.token.slice(0, 6)]));
}

test('--nodes-from with --provisioning-file: one 0600 file per kiosk, and a kiosk joins from its file', async () => {
  const dir = tempDir('kubejoin-enroll-');
  const nodes = [uniqueName('kiosk'), uniqueName('kiosk'), uniqueName('kiosk')];
  writeFileSync(join(dir, 'fleet.txt'), `# the lobby\n${nodes.join('\n')}\n`);
  const out = join(dir, 'out');
  mkdirSync(out);
  const r = await kubejoinInProcess([
    'token',
    'create',
    '--nodes-from',
    join(dir, 'fleet.txt'),
    '--single-use',
    '--provisioning-file',
    join(out, '{node}.yaml'),
    '--kubeconfig',
    c.adminKubeconfig,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '', 'the tokens are in the files only');
  assert.deepEqual(await filesUnder(out), nodes.map((n) => `${n}.yaml`).sort());
  const onServer = await boundOnServer();
  for (const n of nodes) assert.ok(onServer.has(n), `no bound token for ${n}`);

  const table = await kubejoinInProcess(['token', 'list', '-o', 'wide', '--kubeconfig', c.adminKubeconfig]);
  assert.match(table.stdout.split('\n')[0]!, /EXTRA GROUPS\s+NODE\s+SINGLE-USE$/);
  assert.match(table.stdout, new RegExp(`system:bootstrappers:kubejoin:bound\\s+${nodes[0]}\\s+yes`));

  const path = join(out, `${nodes[0]}.yaml`);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const loaded = await loadProvision(path);
  assert.ok(loaded.ok, JSON.stringify(loaded));
  const req = loaded.provision.request;
  assert.deepEqual([req.endpoint, req.caCertHashes, req.nodeName], [c.endpoint, [c.caCertHash], nodes[0]]);
  await c.waitForSignature(onServer.get(nodes[0]!)!);

  const kiosk = startJoin(c, req.token!, req.nodeName!);
  await pendingCsrs(c, onServer.get(nodes[0]!)!);
  await approveOnce(approverKc);
  const joined = await kiosk.done;
  assert.equal(joined.code, 0, `join failed:\n${joined.stdout}\n${joined.stderr}`);
});

test('invalid: an existing provisioning file or a bad node list: exit 2, no token created, nothing written', async () => {
  const dir = tempDir('kubejoin-enroll-');
  const node = uniqueName('kiosk');
  writeFileSync(join(dir, `${node}.yaml`), 'keep me\n');
  const exists = await kubejoinInProcess([
    'token',
    'create',
    '--node-name',
    node,
    '--provisioning-file',
    join(dir, `${node}.yaml`),
    '--kubeconfig',
    c.adminKubeconfig,
  ]);
  assert.equal(exists.code, 2);
  assert.match(exists.stderr, /exists already: it is never overwritten/);
  assert.equal((await boundOnServer()).has(node), false);

  // Checked before the kubeconfig is even read.
  writeFileSync(join(dir, 'fleet.txt'), 'good-1\nNot_A_Node\n');
  const bad = await kubejoinInProcess(['token', 'create', '--nodes-from', join(dir, 'fleet.txt'), '--kubeconfig', join(dir, 'no-such-kubeconfig')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /fleet.txt:2: the node name "Not_A_Node" is not a valid DNS-1123 subdomain/);
  assert.deepEqual(await filesUnder(dir), [`${node}.yaml`, 'fleet.txt'].sort());
});

test('invalid: bound-token flags without a node, or with flags that would unbind it: exit 2 before the kubeconfig is read', async () => {
  const none = ['--kubeconfig', '/nonexistent/admin.conf'];
  const cases: [string[], RegExp][] = [
    [['--single-use'], /--single-use applies only to bound tokens/],
    [['-o', 'json'], /--output applies only to bound tokens/],
    [['--provisioning-file', '/tmp/x.yaml'], /--provisioning-file applies only to bound tokens/],
    [['--node-name', 'edge-1', '--groups', 'system:bootstrappers:kubeadm:default-node-token'], /--groups does not go with --node-name/],
    [['--node-name', 'edge-1', '--node-name', 'edge-1'], /the node edge-1 is named twice/],
    [['--node-name', 'Edge_1'], /not a valid DNS-1123 subdomain/],
    [['--node-name', 'a', '--node-name', 'b', '--provisioning-file', '/tmp/one.yaml'], /must contain \{node\}/],
  ];
  for (const [args, message] of cases) {
    const r = await kubejoinInProcess(['token', 'create', ...args, ...none]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
});
