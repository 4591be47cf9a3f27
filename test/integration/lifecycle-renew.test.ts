import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { testCluster, type ClusterHandle } from '../harness/index.js';
import { keychainAccount } from '../../agent/store/keychain.js';
import { ensureBuilt } from '../helpers/cli.js';
import { joinMachine, keychainAccounts, keychainEnv, lc, nodeCsrs, status, whoami, type Joined } from './lifecycle-helpers.js';

// `kubejoin renew` against the real control plane: the CSR is made with the node's own
// certificate (requestor system:node:<name>), the real csrapproving controller approves it
// through kubeadm's selfnodeclient binding, and the new credential works with kubectl.

let cluster: ClusterHandle;

before(async () => {
  await ensureBuilt();
  cluster = await testCluster();
});

async function filePair(m: Joined): Promise<{ cert: X509Certificate; keyPem: string }> {
  const pem = await readFile(join(m.certDir, 'kubelet-client-current.pem'), 'utf8');
  return { cert: new X509Certificate(pem), keyPem: /-----BEGIN EC PRIVATE KEY-----[\s\S]+?-----END EC PRIVATE KEY-----/.exec(pem)![0] };
}

async function keychainPair(m: Joined): Promise<{ cert: X509Certificate; keyPem: string }> {
  // The pair is the one `#credential` entry (docs/stores.md §2): certificate, then key.
  const keytar = (await import('keytar')).default;
  const service = m.env.KUBEJOIN_KEYCHAIN_SERVICE!;
  const entry = await keytar.getPassword(service, keychainAccount(m.node, cluster.server, 'credential'));
  const cert = entry?.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0];
  const key = entry?.match(/-----BEGIN EC PRIVATE KEY-----[\s\S]+?-----END EC PRIVATE KEY-----/)?.[0];
  assert.ok(cert && key, 'the #credential entry holds a certificate and a key');
  return { cert: new X509Certificate(cert), keyPem: key };
}

/** Forced renew, then everything the issue asks to see. */
async function renewAndCheck(m: Joined, read: (m: Joined) => Promise<{ cert: X509Certificate; keyPem: string }>): Promise<void> {
  const before = await read(m);
  const csrsBefore = (await nodeCsrs(cluster, m.node)).length;
  const r = await lc(m, ['renew', '--force', '--expiration-seconds', '3600']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stdout + r.stderr, /PRIVATE KEY/);
  const after = await read(m);
  assert.notEqual(after.cert.serialNumber, before.cert.serialNumber, 'new serial');
  assert.notEqual(after.keyPem, before.keyPem, 'new key');
  assert.ok(!after.cert.publicKey.equals(before.cert.publicKey), 'the certificate holds the new key');
  assert.equal(after.cert.subject, before.cert.subject);
  assert.ok(after.cert.checkIssued(new X509Certificate(cluster.caPem)), 'issued by the cluster CA');
  const lifetime = Date.parse(after.cert.validTo) - Date.parse(after.cert.validFrom);
  assert.ok(lifetime <= (3600 + 300) * 1000 + 1000, `expirationSeconds honoured (lifetime ${lifetime} ms)`);
  assert.match(
    r.stdout,
    new RegExp(`Renewed: serial ${before.cert.serialNumber} -> ${after.cert.serialNumber}, valid until .*; the cluster sees system:node:${m.node}\\.`),
  );
  const csrs = await nodeCsrs(cluster, m.node);
  assert.equal(csrs.length, csrsBefore + 1, 'exactly one new CSR');
  const csr = csrs.find((c) => r.stdout.includes(c.name));
  assert.ok(csr, 'the CSR the output names');
  assert.equal(csr.username, `system:node:${m.node}`, 'requested with the node certificate, not a token');
  assert.equal(csr.signerName, 'kubernetes.io/kube-apiserver-client-kubelet');
  assert.equal(csr.expirationSeconds, 3600);
  assert.deepEqual(csr.conditions, ['Approved'], 'approved by the real csrapproving controller (selfnodeclient)');
  const who = await whoami(m);
  assert.equal(who.code, 0, who.stderr);
  assert.equal(who.username, `system:node:${m.node}`);
  const s = await status(m);
  assert.equal(s.code, 0);
  assert.equal(s.json.certificate?.serialNumber, after.cert.serialNumber);
  assert.equal(s.json.pending, undefined, 'no rotation left pending');
}

describe('kubejoin renew', () => {
  it('not due: says when it will be (the date status shows), changes nothing, exit 0', async (t) => {
    const m = await joinMachine(t, cluster, 'file');
    const before = await readFile(join(m.certDir, 'kubelet-client-current.pem'), 'utf8');
    const r = await lc(m, ['renew']);
    assert.equal(r.code, 0, r.stderr);
    const status = await lc(m, ['status', '-o', 'json']);
    const due = (JSON.parse(status.stdout) as { certificate: { rotationDue: string } }).certificate.rotationDue;
    assert.match(
      r.stdout,
      new RegExp(`^Not due: certificate serial [0-9A-F]+ is valid until .*; rotation is due ${due.replace(/\./g, '\\.')} \\(in \\d+d`, 'm'),
    );
    assert.match(r.stdout, /Nothing changed\. Use --force to rotate now\./);
    assert.equal(await readFile(join(m.certDir, 'kubelet-client-current.pem'), 'utf8'), before);
    assert.equal((await nodeCsrs(cluster, m.node)).length, 0);
  });

  it('--force, file store: new key, new serial, CSR by system:node:<name>, kubelet layout, kubectl accepts it', async (t) => {
    const m = await joinMachine(t, cluster, 'file');
    await renewAndCheck(m, filePair);
    // The kubelet's layout: current is a symlink to a timestamped pem (0600), switched atomically.
    const current = join(m.certDir, 'kubelet-client-current.pem');
    assert.ok((await lstat(current)).isSymbolicLink());
    const target = await readlink(current);
    assert.match(target, /kubelet-client-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.pem$/);
    assert.equal((await stat(target)).mode & 0o777, 0o600);
    assert.deepEqual((await readdir(m.certDir)).filter((f) => !f.startsWith('kubelet-client-2')).sort(), ['kubelet-client-current.pem']);
    // A second renew keeps the previous pem beside the current one, and no more.
    await renewAndCheck(m, filePair);
    assert.equal((await readdir(m.certDir)).filter((f) => /^kubelet-client-\d/.test(f)).length, 2);
  });

  it('--force, keychain store (real gnome-keyring): new key and serial in the entries, the exec plugin serves them', async (t) => {
    const env = await keychainEnv(t);
    if (typeof env === 'string') return t.skip(env);
    const m = await joinMachine(t, cluster, 'keychain', env);
    await renewAndCheck(m, keychainPair);
    const accounts = await keychainAccounts(env);
    assert.deepEqual(accounts, [keychainAccount(m.node, cluster.server, 'credential')], 'the one pair entry, no rotation entries left');
  });
});
