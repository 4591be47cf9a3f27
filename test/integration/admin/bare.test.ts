// Bare mode: a cluster without kubeadm's objects and without the bootstrapsigner/tokencleaner
// controllers. kubejoin alone prepares it, makes tokens and signs cluster-info.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { signDetached } from '../../../agent/protocol/jws.js';
import { clusterInfoKubeconfig, startCluster, type ClusterHandle } from '../../harness/index.js';
import { kubejoinInProcess } from '../../helpers/cli-in-process.js';
import { eventually, sleep } from '../../helpers/poll.js';
import { whoAmI } from '../../helpers/who-am-i.js';

let c: ClusterHandle;
let kc: string[];
const CLUSTER_INFO = '/api/v1/namespaces/kube-public/configmaps/cluster-info';

before(async () => {
  c = await startCluster({ bare: true });
  kc = ['--kubeconfig', c.adminKubeconfig];
});
after(async () => c?.stop());

async function anonymousClusterInfo(): Promise<{ status: number; data: Record<string, string>; resourceVersion: string }> {
  const res = await c.request({ path: CLUSTER_INFO, auth: 'anonymous' });
  if (res.status !== 200) return { status: res.status, data: {}, resourceVersion: '' };
  const cm = res.json<{ data?: Record<string, string>; metadata: { resourceVersion: string } }>();
  return { status: 200, data: cm.data ?? {}, resourceVersion: cm.metadata.resourceVersion };
}

test('cluster prepare: dry run prints, writes nothing; then creates the eight objects; a second run changes nothing', async () => {
  assert.notEqual((await anonymousClusterInfo()).status, 200, 'a bare cluster has no readable cluster-info');

  const dry = await kubejoinInProcess(['cluster', 'prepare', '--dry-run', ...kc]);
  assert.equal(dry.code, 0, dry.stderr);
  const docs = parseAllDocuments(dry.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
  assert.deepEqual(
    docs.map((d) => `${d.kind} ${d.metadata.name}`),
    [
      'ClusterRoleBinding kubeadm:kubelet-bootstrap',
      'ClusterRoleBinding kubeadm:node-autoapprove-bootstrap',
      'ClusterRoleBinding kubeadm:node-autoapprove-certificate-rotation',
      'ConfigMap cluster-info',
      'Role kubeadm:bootstrap-signer-clusterinfo',
      'RoleBinding kubeadm:bootstrap-signer-clusterinfo',
      'Role kubejoin:cluster-info-watch',
      'RoleBinding kubejoin:cluster-info-watch',
    ],
  );
  assert.match(dry.stderr, /8 object\(s\) would be written \(dry run\)/);
  assert.equal((await c.request({ path: CLUSTER_INFO })).status, 404, 'dry run wrote nothing');

  const first = await kubejoinInProcess(['cluster', 'prepare', ...kc]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /Cluster prepared: 8 created, 0 updated, 0 unchanged\./);

  const info = await anonymousClusterInfo();
  assert.equal(info.status, 200, 'anonymous may read cluster-info');
  assert.equal(info.data.kubeconfig, clusterInfoKubeconfig(c.server, c.caPem), "kubeadm's exact kubeconfig shape");

  const second = await kubejoinInProcess(['cluster', 'prepare', ...kc]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /Nothing changed: the cluster was already prepared \(8 objects up to date\)\./);
  const dry2 = await kubejoinInProcess(['cluster', 'prepare', '--dry-run', ...kc]);
  assert.equal(dry2.stdout, '');
  assert.match(dry2.stderr, /Nothing to do/);
});

test('token create + cluster sign: cluster-info signed for the token, anonymously readable; stale keys removed', async () => {
  const created = await kubejoinInProcess(['token', 'create', ...kc]);
  assert.equal(created.code, 0, created.stderr);
  const token = created.stdout.trim();
  const [id, secret] = token.split('.') as [string, string];
  await sleep(1500);
  assert.equal((await anonymousClusterInfo()).data[`jws-kubeconfig-${id}`], undefined, 'no controller signs it here');

  const sign = await kubejoinInProcess(['cluster', 'sign', ...kc]);
  assert.equal(sign.code, 0, sign.stderr);
  assert.match(sign.stdout, new RegExp(`sign cluster-info for token ${id}`));
  const info = await anonymousClusterInfo();
  assert.equal(info.data[`jws-kubeconfig-${id}`], signDetached(info.data.kubeconfig!, id, secret));

  const again = await kubejoinInProcess(['cluster', 'sign', ...kc]);
  assert.match(again.stdout, /up to date \(1 token\(s\)\)/);
  assert.equal((await anonymousClusterInfo()).resourceVersion, info.resourceVersion, 'nothing written when nothing changed');

  // The bootstrap token authenticates on this cluster too.
  assert.equal((await whoAmI(c, token)).username, `system:bootstrap:${id}`);

  assert.equal((await kubejoinInProcess(['token', 'delete', ...kc, id])).code, 0);
  const removed = await kubejoinInProcess(['cluster', 'sign', ...kc]);
  assert.match(removed.stdout, new RegExp(`remove the signature of token ${id}`));
  assert.equal((await anonymousClusterInfo()).data[`jws-kubeconfig-${id}`], undefined);
});

test('cluster prepare after the server moved: cluster-info updated, signatures redone by cluster sign', async () => {
  const token = (await kubejoinInProcess(['token', 'create', ...kc])).stdout.trim();
  const [id, secret] = token.split('.') as [string, string];
  await kubejoinInProcess(['cluster', 'sign', ...kc]);
  const moved = await kubejoinInProcess(['cluster', 'prepare', ...kc, '--server', 'https://kubernetes.example:6443']);
  assert.equal(moved.code, 0, moved.stderr);
  assert.match(moved.stdout, /updated ConfigMap kube-public\/cluster-info \(its server or CA differed; its 1 signature\(s\) are stale/);
  assert.match(moved.stdout, /1 updated, 7 unchanged/);
  const resign = await kubejoinInProcess(['cluster', 'sign', ...kc]);
  assert.match(resign.stdout, new RegExp(`re-sign cluster-info for token ${id}`));
  let info = await anonymousClusterInfo();
  assert.match(info.data.kubeconfig!, /server: https:\/\/kubernetes\.example:6443\n/);
  assert.equal(info.data[`jws-kubeconfig-${id}`], signDetached(info.data.kubeconfig!, id, secret));

  const back = await kubejoinInProcess(['cluster', 'prepare', ...kc]);
  assert.match(back.stdout, /updated ConfigMap kube-public\/cluster-info/);
  assert.match((await kubejoinInProcess(['cluster', 'sign', ...kc])).stdout, new RegExp(`re-sign cluster-info for token ${id}`));
  info = await anonymousClusterInfo();
  assert.equal(info.data.kubeconfig, clusterInfoKubeconfig(c.server, c.caPem));
  assert.equal(info.data[`jws-kubeconfig-${id}`], signDetached(info.data.kubeconfig!, id, secret));
  await kubejoinInProcess(['token', 'delete', ...kc, id]);
  await kubejoinInProcess(['cluster', 'sign', ...kc]);
});

test('cluster sign --watch: signs tokens as they come, unsigns them as they go or expire', async () => {
  const controller = new AbortController();
  const running = kubejoinInProcess(['cluster', 'sign', '--watch', ...kc], { signal: controller.signal });
  try {
    const token = await c.createToken();
    const [id, secret] = token.split('.') as [string, string];
    const sig = await eventually(`a signature for ${id}`, async () => (await anonymousClusterInfo()).data[`jws-kubeconfig-${id}`], 15_000);
    assert.equal(sig, signDetached(clusterInfoKubeconfig(c.server, c.caPem), id, secret));

    await c.deleteToken(id);
    await eventually(
      `the signature of ${id} to go`,
      async () => ((await anonymousClusterInfo()).data[`jws-kubeconfig-${id}`] === undefined ? true : undefined),
      15_000,
    );

    const shortLived = await c.createToken({ ttlSeconds: 4 });
    const sid = shortLived.slice(0, 6);
    await eventually(`a signature for ${sid}`, async () => (await anonymousClusterInfo()).data[`jws-kubeconfig-${sid}`], 15_000);
    await eventually(
      `the signature of expired ${sid} to go`,
      async () => ((await anonymousClusterInfo()).data[`jws-kubeconfig-${sid}`] === undefined ? true : undefined),
      20_000,
    );
    await c.deleteToken(sid);
  } finally {
    controller.abort();
  }
  const r = await running;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /sign cluster-info for token/);
  assert.match(r.stdout, /remove the signature of token/);
});
