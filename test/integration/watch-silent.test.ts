import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { assertNoSecret, cliEnv, ensureBuilt, fileStoreFlags, kubejoin, uniqueName } from '../helpers/cli.js';
import { workdir } from '../helpers/temp.js';
import { faultyFront, type Fault, type Front } from './hostile/front.js';
import { joinMachine, lc, nodeCsrs } from './lifecycle-helpers.js';

// docs/protocol.md §10.6: a watch proves itself or is replaced. A front end of our own before
// the REAL apiserver mangles every CSR watch as proxies do: (a) holds it silent after its
// headers, (b) delivers events only when 64 KiB are held, (c) closes it after 2 s. A join and a
// rotation through it each end within 20 s of the CSR being created (approved and issued by the
// real controllers within moments), with one CSR, and without a tight loop of requests.

let cluster: ClusterHandle;
before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const BOUND_MS = 20_000;
const MODES: [string, Fault][] = [
  ['(a) every watch silent after its headers', { kind: 'silent-watch' }],
  ['(b) watch events held until 64 KiB are buffered', { kind: 'buffer-watch', bytes: 64 * 1024 }],
  ['(c) every watch closed after 2 s', { kind: 'close-watch', ms: 2000 }],
];

async function frontFor(t: { after(fn: () => unknown): void }, fault: Fault): Promise<Front> {
  const front = await faultyFront(cluster, (_method, path) => (path.endsWith('?watch') ? fault : undefined), { impersonate: true });
  t.after(() => front.close());
  return front;
}

/** From the CSR's create through the front to `endedAt`, and what was asked meanwhile. */
function waited(front: Front, endedAt: number): { ms: number; reads: number; watches: number; total: number } {
  const created = front.log.find((l) => l.request === `POST ${CSRS}`);
  assert.ok(created, `no CSR was created through the front: ${JSON.stringify(front.log)}`);
  const after = front.log.filter((l) => l.at >= created.at);
  return {
    ms: endedAt - created.at,
    reads: after.filter((l) => l.request.startsWith(`GET ${CSRS}/`)).length,
    watches: after.filter((l) => l.request === `GET ${CSRS} (watch)`).length,
    total: after.length,
  };
}

/** No tight loop: a read per 15 s of silence, a watch per backoff (>= 125 ms, growing to 2.5-5 s). */
function assertBounded(w: ReturnType<typeof waited>, log: Front['log']): void {
  const detail = JSON.stringify(log.map((l) => l.request));
  assert.ok(w.reads <= Math.ceil(w.ms / 15_000) + 2, `${w.reads} reads in ${w.ms} ms: ${detail}`);
  assert.ok(w.watches <= 12, `${w.watches} watches in ${w.ms} ms: ${detail}`);
  assert.ok(w.total <= 30, `${w.total} requests in ${w.ms} ms: ${detail}`);
}

describe('a watch proves itself or is replaced: CSR waits behind a mangling front', { concurrency: false }, () => {
  for (const [name, fault] of MODES) {
    it(`valid: ${name}: a join ends within 20 s of its CSR, with one CSR, no tight loop`, async (t) => {
      const front = await frontFor(t, fault);
      const dir = await workdir(t);
      const token = await cluster.signedToken();
      const id = token.split('.')[0]!;
      await writeFile(join(dir, 'token'), token, { mode: 0o600 });
      await writeFile(
        join(dir, 'front.conf'),
        stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'k', cluster: { server: front.server, 'certificate-authority-data': Buffer.from(cluster.caPem).toString('base64') } }],
          contexts: [{ name: 'k', context: { cluster: 'k' } }],
          'current-context': 'k',
        }),
      );
      const node = uniqueName('silent');
      const args = ['join', '--discovery-file', join(dir, 'front.conf'), '--token-file', join(dir, 'token'), '--node-name', node, '--timeout', '3m'];
      const r = await kubejoin([...args, ...fileStoreFlags(dir), '-o', 'json'], { env: cliEnv() });
      const endedAt = Date.now();
      assertNoSecret(r, token);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const w = waited(front, endedAt);
      assert.ok(w.ms <= BOUND_MS, `the join ended ${w.ms} ms after its CSR was created`);
      assert.ok(
        front.log.some((l) => l.fault === fault.kind),
        'the fault was really injected',
      );
      assertBounded(w, front.log);
      const csrs = await cluster.kubectl(['get', 'csr', '-o', 'json']);
      const mine = (JSON.parse(csrs.stdout) as { items: { spec: { username: string } }[] }).items.filter((i) => i.spec.username === `system:bootstrap:${id}`);
      assert.equal(mine.length, 1, 'exactly one CSR');
    });

    it(`valid: ${name}: renew --force (a rotation) ends within 20 s of its CSR, with one CSR, no tight loop`, async (t) => {
      const m = await joinMachine(t, cluster, 'file', cliEnv(), 'silentrot');
      const front = await frontFor(t, fault);
      // The node's kubeconfig now names the front: every call of the rotation goes through it.
      const conf = await readFile(m.kubeconfig, 'utf8');
      const pointed = conf.replace(/server: \S+/, `server: ${front.server}`);
      assert.notEqual(pointed, conf);
      await writeFile(m.kubeconfig, pointed);
      const before = (await nodeCsrs(cluster, m.node)).length;
      const r = await lc(m, ['renew', '--force']);
      const endedAt = Date.now();
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const w = waited(front, endedAt);
      assert.ok(w.ms <= BOUND_MS, `the rotation ended ${w.ms} ms after its CSR was created`);
      assert.ok(front.log.some((l) => l.fault === fault.kind));
      assertBounded(w, front.log);
      assert.equal((await nodeCsrs(cluster, m.node)).length, before + 1, 'exactly one CSR for the rotation');
    });
  }
});
