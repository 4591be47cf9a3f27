import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { assertNoSecret, cliEnv, ensureBuilt, fileStoreFlags, kubejoin, uniqueName } from '../helpers/cli.js';
import { filesUnder, workdir } from '../helpers/temp.js';
import { faultyFront, type FaultPlan, type Front } from './hostile/front.js';

// Transient is not final: a front end of our own before the REAL apiserver answers 503,
// 429 and 500, resets bodies and breaks the watch. Every join still succeeds, with exactly
// one CSR, and only the faults we injected were seen (so each was really exercised).

let cluster: ClusterHandle;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const CLUSTER_INFO = '/api/v1/namespaces/kube-public/configmaps/cluster-info';

async function csrCount(tokenId: string): Promise<number> {
  const r = await cluster.kubectl(['get', 'csr', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { items: { spec: { username: string } }[] }).items.filter((i) => i.spec.username === `system:bootstrap:${tokenId}`).length;
}

function viaFront(front: Front): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'k', cluster: { server: front.server, 'certificate-authority-data': Buffer.from(cluster.caPem).toString('base64') } }],
    contexts: [{ name: 'k', context: { cluster: 'k' } }],
    'current-context': 'k',
  });
}

async function joinThrough(t: Parameters<typeof workdir>[0], plan: FaultPlan, mode: 'token' | 'file', timeout = '60s') {
  const front = await faultyFront(cluster, plan);
  t.after(() => front.close());
  const dir = await workdir(t);
  const token = await cluster.createToken();
  const id = token.split('.')[0]!;
  await cluster.waitForSignature(id);
  await writeFile(join(dir, 'token'), token, { mode: 0o600 });
  const where = mode === 'token' ? [front.endpoint, '--discovery-token-ca-cert-hash', cluster.caCertHash] : ['--discovery-file', join(dir, 'front.conf')];
  if (mode === 'file') await writeFile(join(dir, 'front.conf'), viaFront(front));
  const r = await kubejoin(
    [
      'join',
      ...where,
      '--token-file',
      join(dir, 'token'),
      '--node-name',
      uniqueName('transient'),
      '--discovery-timeout',
      '30s',
      '--timeout',
      timeout,
      ...fileStoreFlags(dir),
      '-o',
      'json',
    ],
    { env: cliEnv() },
  );
  assertNoSecret(r, token);
  return { r, front, id, dir };
}

const injected = (front: Front): string[] => front.log.filter((l) => l.fault).map((l) => `${l.request}: ${l.fault}`);

describe('transient faults before the real apiserver', { concurrency: false }, () => {
  it('valid: discovery through a reset mid-body, a 503 and a 429 with Retry-After joins with one CSR', async (t) => {
    const { r, front, id, dir } = await joinThrough(
      t,
      (method, path, n) => {
        if (path !== CLUSTER_INFO) return undefined;
        if (n === 1) return { kind: 'reset-mid-body' };
        if (n === 2) return { kind: 'status', status: 503 };
        if (n === 3) return { kind: 'status', status: 429, headers: { 'Retry-After': '1' } };
        return undefined;
      },
      'token',
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual(injected(front), [`GET ${CLUSTER_INFO}: reset-mid-body`, `GET ${CLUSTER_INFO}: status`, `GET ${CLUSTER_INFO}: status`]);
    assert.match(r.stdout, /HTTP 429 \(Retry-After 1 s\); retrying/);
    assert.equal(await csrCount(id), 1);
    assert.ok((await filesUnder(dir)).includes('kubelet.conf'));
  });

  it('valid: a 503 to the CSR create, then a create whose answer is lost: the retry finds it (409) and reuses it: one CSR', async (t) => {
    const { r, front, id } = await joinThrough(
      t,
      (method, path, n) => {
        if (method === 'POST' && path === CSRS) return n === 1 ? { kind: 'status', status: 503 } : n === 2 ? { kind: 'lose-answer' } : undefined;
        return undefined;
      },
      'file',
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual(injected(front), [`POST ${CSRS}: status`, `POST ${CSRS}: lose-answer`]);
    assert.match(r.stdout, /reusing node-csr-/, 'the create whose answer was lost was found again (409) and reused');
    assert.equal(await csrCount(id), 1, 'exactly one CSR');
  });

  it('valid: a watch reset mid-stream, then a watch answered 500: re-watched with backoff, joins, one CSR', async (t) => {
    const { r, front, id } = await joinThrough(
      t,
      (method, path, n) =>
        path === `${CSRS}?watch` ? (n === 1 ? { kind: 'reset-mid-body' } : n === 2 ? { kind: 'status', status: 500 } : undefined) : undefined,
      'file',
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual(injected(front), [`GET ${CSRS} (watch): reset-mid-body`, `GET ${CSRS} (watch): status`]);
    assert.ok(
      front.log.some((l) => l.request === 'TCP pass-through'),
      'the SelfSubjectReview went through to the apiserver',
    );
    assert.equal(await csrCount(id), 1, 'exactly one CSR');
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; phase?: string });
    const waits = events.filter((e) => e.type === 'progress' && e.phase === 'await-approval');
    assert.ok(waits.length >= 2 && waits.length <= 4, `a few progress events while re-watching, not one per retry storm (${waits.length})`);
  });

  it('invalid: a front end answering 503 forever to the CSR create: exit 6 at --timeout, the pending key kept', async (t) => {
    const { r, dir } = await joinThrough(t, (method, path) => (method === 'POST' && path === CSRS ? { kind: 'status', status: 503 } : undefined), 'file', '4s');
    assert.equal(r.code, 6, r.stderr);
    assert.deepEqual(await filesUnder(dir), ['front.conf', 'pki/kubelet-client.key.tmp', 'token'], 'the pending key is kept, nothing else written');
    assert.match(r.stdout, /creating the certificate signing request: the server answered HTTP 503/);
  });
});
