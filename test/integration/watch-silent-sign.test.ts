import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startCluster, type ClusterHandle } from '../harness/index.js';
import { CLI, cliEnv, ensureBuilt, kubejoin } from '../helpers/cli.js';
import { eventually } from '../helpers/poll.js';
import { workdir } from '../helpers/temp.js';
import { faultyFront, type Fault } from './hostile/front.js';

// docs/protocol.md §10.6 for `cluster sign --watch`: behind a front end of our own that holds
// every watch silent, buffers watch events to 64 KiB, or closes every watch after 2 s, a token
// created on the cluster is signed within 20 s, without a tight loop of requests. Its own bare
// cluster (no BootstrapSigner), so that only kubejoin signs.

let c: ClusterHandle;
before(async () => {
  await ensureBuilt();
  c = await startCluster({ bare: true });
  const prepared = await kubejoin(['cluster', 'prepare', '--kubeconfig', c.adminKubeconfig]);
  assert.equal(prepared.code, 0, prepared.stderr);
});
after(async () => c?.stop());

const CLUSTER_INFO = '/api/v1/namespaces/kube-public/configmaps/cluster-info';
const SECRETS = '/api/v1/namespaces/kube-system/secrets';
const MODES: [string, Fault][] = [
  ['(a) every watch silent after its headers', { kind: 'silent-watch' }],
  ['(b) watch events held until 64 KiB are buffered', { kind: 'buffer-watch', bytes: 64 * 1024 }],
  ['(c) every watch closed after 2 s', { kind: 'close-watch', ms: 2000 }],
];

async function signedIds(): Promise<string[]> {
  const r = await c.request({ path: CLUSTER_INFO });
  const data = (JSON.parse(r.text) as { data?: Record<string, string> }).data ?? {};
  return Object.keys(data).filter((k) => k.startsWith('jws-kubeconfig-'));
}

describe('cluster sign --watch behind a front that mangles watches', { concurrency: false }, () => {
  for (const [name, fault] of MODES) {
    it(`valid: ${name}: a new token is signed within 20 s, no tight loop`, async (t) => {
      const front = await faultyFront(c, (_method, path) => (path.endsWith('?watch') ? fault : undefined), { impersonate: true });
      t.after(() => front.close());
      const dir = await workdir(t);
      const conf = join(dir, 'admin.conf');
      await writeFile(conf, (await readFile(c.adminKubeconfig, 'utf8')).replace(/server: \S+/, `server: ${front.server}`), { mode: 0o600 });
      const child = spawn(process.execPath, [CLI, 'cluster', 'sign', '--watch', '--kubeconfig', conf], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      t.after(() => child.kill('SIGKILL'));
      // Both watches open (through the front) before the token comes.
      await eventually('both watches through the front', async () => (front.log.filter((l) => l.fault === fault.kind).length >= 2 ? true : undefined));

      const token = await c.createToken();
      const createdAt = Date.now();
      const key = `jws-kubeconfig-${token.split('.')[0]}`;
      await eventually(`${key} in cluster-info`, async () => ((await signedIds()).includes(key) ? true : undefined), 30_000);
      const ms = Date.now() - createdAt;
      assert.ok(ms <= 20_000, `signed ${ms} ms after the token was created; output:\n${out}`);

      const asked = front.log.filter((l) => l.at >= createdAt);
      const reads = asked.filter((l) => l.request === `GET ${CLUSTER_INFO}` || l.request === `GET ${SECRETS}`).length;
      const detail = JSON.stringify(asked.map((l) => l.request));
      assert.ok(reads <= 2 * (Math.ceil(ms / 7_500) + 2), `${reads} reads in ${ms} ms: ${detail}`);
      assert.ok(asked.length <= 40, `${asked.length} requests in ${ms} ms: ${detail}`);
      child.kill('SIGINT');
      assert.equal(await exited, 0, out);
    });
  }
});
