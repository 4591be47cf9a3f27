import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CaFollower, notFromNewest } from '../../../agent/lifecycle/ca-follow.js';
import { certificatesOf } from '../../../agent/protocol/pin.js';
import { clusterOf, renderKubeconfig } from '../../../agent/protocol/kubeconfig.js';
import { locateCredential } from '../../../agent/store/installed.js';
import { clusterInfoKubeconfig } from '../../harness/index.js';
import { makeCa, type TestCa } from '../../helpers/certs.js';
import { tempDir } from '../../helpers/temp.js';
import { clientPair, servingPair } from '../../integration/ca-rotation-plane.js';

// Following the CA bundle against an HTTPS server of our own that serves cluster-info with
// a certificate of CA "serving": a bundle that drops "serving" would cut this node off and is
// refused with nothing written; additions and safe removals are written (docs/operations.md).

let serving: TestCa;
let other: TestCa;
let server: Server;
let published = '';
let url = '';
let node: { certPem: string; keyPem: string };

before(async () => {
  serving = await makeCa('CN=serving-ca');
  other = await makeCa('CN=other-ca');
  const cert = await servingPair(serving);
  node = await clientPair(serving, 'CN=system:node:n1, O=system:nodes');
  server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    if (req.url !== '/api/v1/namespaces/kube-public/configmaps/cluster-info') return void res.writeHead(404).end('{}');
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ data: { kubeconfig: clusterInfoKubeconfig(url, published) } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

/** A joined machine (file store) holding `held`. */
async function machine(held: string): Promise<{ dir: string; kubeconfig: string }> {
  const dir = tempDir('kj-ca-');
  const pem = join(dir, 'kubelet-client-current.pem');
  await writeFile(pem, `${node.certPem.trim()}\n${node.keyPem}`, { mode: 0o600 });
  const kubeconfig = join(dir, 'kubelet.conf');
  await writeFile(kubeconfig, renderKubeconfig({ server: url, caPem: held }, { kind: 'files', certFile: pem, keyFile: pem }), { mode: 0o600 });
  return { dir, kubeconfig };
}

async function check(m: { kubeconfig: string }, onCaChange?: string): Promise<{ kind: string; lines: string[]; follower: CaFollower }> {
  const lines: string[] = [];
  const follower = new CaFollower({ intervalMs: 1000, renewWindowMs: 60_000, log: (l) => lines.push(l), random: () => 0.5, onCaChange });
  const installed = (await locateCredential({ kubeconfig: m.kubeconfig, env: {} }))!;
  const result = await follower.check(installed, node, Date.now(), new AbortController().signal);
  return { kind: result.kind, lines, follower };
}

const held = async (kubeconfig: string): Promise<string[]> =>
  certificatesOf(clusterOf(await readFile(kubeconfig, 'utf8'), kubeconfig).caPem).map((c) => c.subject);
const both = (): string => `${serving.pem.trim()}\n${other.pem.trim()}\n`;

describe('followCaBundle', () => {
  it('adds a CA at once, keeps the rest of the kubeconfig, schedules a renewal within the window', async () => {
    const m = await machine(serving.pem);
    published = both();
    const before = await readFile(m.kubeconfig, 'utf8');
    const r = await check(m);
    assert.equal(r.kind, 'changed');
    assert.deepEqual(await held(m.kubeconfig), ['CN=serving-ca', 'CN=other-ca']);
    assert.ok(
      r.lines.some((l) => /^ca-added: CN=other-ca \(SHA-256 fingerprint /.test(l)),
      r.lines.join('\n'),
    );
    const after = await readFile(m.kubeconfig, 'utf8');
    assert.equal(after.replace(/certificate-authority-data: \S+/, ''), before.replace(/certificate-authority-data: \S+/, ''));
    assert.ok(r.follower.renewAt !== undefined && r.follower.renewAt <= Date.now() + 60_000);
    assert.deepEqual((await readdir(m.dir)).sort(), ['kubelet-client-current.pem', 'kubelet.conf']);
  });

  it('removes a CA when the server verifies with what remains', async () => {
    const m = await machine(both());
    published = serving.pem;
    const r = await check(m);
    assert.equal(r.kind, 'changed');
    assert.deepEqual(await held(m.kubeconfig), ['CN=serving-ca']);
    assert.ok(
      r.lines.some((l) => /^ca-removed: CN=other-ca/.test(l)),
      r.lines.join('\n'),
    );
  });

  it('refuses a bundle that would not verify the server it came from; nothing is written', async () => {
    const m = await machine(both());
    published = other.pem; // drops the CA the server's certificate chains to
    const before = await readFile(m.kubeconfig, 'utf8');
    const first = await check(m);
    assert.equal(first.kind, 'refused');
    assert.equal(first.lines.length, 1, first.lines.join('\n'));
    assert.match(
      first.lines[0]!,
      /^ca-refused: the new bundle \(1 CAs\) does not verify the API server https:\/\/127\.0\.0\.1:\d+ .*the stored CAs are unchanged$/,
    );
    assert.equal(await readFile(m.kubeconfig, 'utf8'), before);
    assert.deepEqual((await readdir(m.dir)).sort(), ['kubelet-client-current.pem', 'kubelet.conf']);
    assert.equal(first.follower.renewAt, undefined);
  });

  it('refuses a bundle over the caps or holding a certificate that is not a CA', async () => {
    const m = await machine(serving.pem);
    const before = await readFile(m.kubeconfig, 'utf8');
    published = Array.from({ length: 17 }, () => serving.pem.trim()).join('\n');
    const many = await check(m);
    assert.equal(many.kind, 'refused');
    assert.match(many.lines[0]!, /holds 17 certificates \(at most 16\)/);
    published = `${serving.pem.trim()}\n${node.certPem.trim()}\n`;
    const leaf = await check(m);
    assert.match(leaf.lines[0]!, /^ca-refused: .*not a CA: CN=system:node:n1/);
    assert.equal(await readFile(m.kubeconfig, 'utf8'), before);
  });

  it('changes nothing when the bundle is the same', async () => {
    const m = await machine(serving.pem);
    published = serving.pem;
    const before = await readFile(m.kubeconfig, 'utf8');
    const r = await check(m);
    assert.equal(r.kind, 'unchanged');
    assert.deepEqual(r.lines, []);
    assert.equal(await readFile(m.kubeconfig, 'utf8'), before);
  });
});

describe('--on-ca-change', () => {
  it('runs after a write, its exit status reported; a failing command is not fatal', async () => {
    const m = await machine(serving.pem);
    published = both();
    const marker = join(m.dir, 'hook-ran');
    const ok = await check(m, `echo ran > ${marker}`);
    assert.equal(ok.kind, 'changed');
    assert.equal(await readFile(marker, 'utf8'), 'ran\n');
    assert.equal(ok.lines.at(-1), '--on-ca-change: exit 0');
    const m2 = await machine(serving.pem);
    const failed = await check(m2, 'exit 3');
    assert.equal(failed.kind, 'changed', 'the bundle is written whatever the command does');
    assert.equal(failed.lines.at(-1), '--on-ca-change: failed: exit 3');
    const unchanged = await check(m2, `echo again > ${marker}`);
    assert.equal(unchanged.kind, 'unchanged');
    assert.equal(await readFile(marker, 'utf8'), 'ran\n', 'no change, no command');
  });
});

describe('notFromNewest', () => {
  it('is true only while several CAs are held and the certificate is from an older one', async () => {
    const newer = await makeCa('CN=newer');
    assert.equal(notFromNewest(node.certPem, serving.pem), false);
    assert.equal(notFromNewest(node.certPem, `${serving.pem}${newer.pem}`), true);
    const fresh = await clientPair(newer, 'CN=system:node:n1, O=system:nodes');
    assert.equal(notFromNewest(fresh.certPem, `${serving.pem}${newer.pem}`), false);
  });
});
