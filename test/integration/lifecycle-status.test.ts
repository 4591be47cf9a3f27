import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync, webcrypto, X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { ClusterHandle } from '../harness/index.js';
import { x509 } from '../harness/x509.js';
import { renderKubeconfig } from '../../agent/protocol/kubeconfig.js';
import { cliEnv, kubejoin, uniqueName, tokenJoinArgs } from '../helpers/cli.js';
import { filesUnder, workdir } from '../helpers/temp.js';
import { joinMachine, keychainEnv, lc, status, type Joined } from './lifecycle-helpers.js';
import { MANUAL_GROUP, joinTestCluster } from './join/setup.js';

// `kubejoin status` (and renew's refusals) against the real control plane: joined (both
// stores), not joined, a join waiting for approval, offline, expired.

let cluster: ClusterHandle;
before(async () => {
  cluster = await joinTestCluster();
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** An unjoined machine: empty XDG state dir, its own empty keychain service. */
async function fresh(t: Parameters<typeof workdir>[0]): Promise<{ dir: string; env: NodeJS.ProcessEnv }> {
  const dir = await workdir(t);
  return { dir, env: cliEnv({ XDG_STATE_HOME: join(dir, 'state'), KUBEJOIN_KEYCHAIN_SERVICE: uniqueName('kubejoin-none') }) };
}

describe('kubejoin status', () => {
  it('not joined: exit 10, says so and how to join (text and JSON), writes nothing', async (t) => {
    const { dir, env } = await fresh(t);
    const text = await kubejoin(['status'], { env });
    assert.equal(text.code, 10, text.stderr);
    assert.match(text.stdout, /^Joined:\s+no$/m);
    assert.match(text.stdout, /Not joined: no kubeconfig from a join at \S+kubelet\.conf, and no kubelet-client-current\.pem in \S+\./);
    assert.match(text.stdout, /kubejoin join <host:port>/);
    const json = await kubejoin(['status', '-o', 'json'], { env });
    assert.equal(json.code, 10);
    const s = JSON.parse(json.stdout) as { state: string; exitCode: number; certificate?: unknown };
    assert.equal(s.state, 'not-joined');
    assert.equal(s.exitCode, 10);
    assert.equal(s.certificate, undefined);
    assert.deepEqual(await filesUnder(join(dir, 'state')), []);
  });

  it('joined (file store): exit 0; identity from the cluster; subject, serial, validity, rotation due, store', async (t) => {
    const m = await joinMachine(t, cluster, 'file');
    const { code, json, r } = await status(m);
    assert.equal(code, 0, r.stderr);
    assert.equal(json.state, 'joined');
    assert.equal(json.nodeName, m.node);
    assert.equal(json.identity?.username, `system:node:${m.node}`);
    assert.ok(json.identity?.groups.includes('system:nodes'));
    const pem = await readFile(join(m.certDir, 'kubelet-client-current.pem'), 'utf8');
    const cert = new X509Certificate(pem);
    assert.equal(json.certificate?.serialNumber, cert.serialNumber);
    assert.equal(json.certificate?.subject, `CN=system:node:${m.node}, O=system:nodes`);
    assert.equal(Date.parse(json.certificate!.notAfter), Date.parse(cert.validTo));
    const nb = Date.parse(cert.validFrom);
    const na = Date.parse(cert.validTo);
    const due = Date.parse(json.certificate!.rotationDue);
    assert.ok(due >= nb + 0.7 * (na - nb) - 1 && due <= nb + 0.9 * (na - nb) + 1, 'rotation due within 70-90 % of the lifetime');
    assert.ok(json.certificate!.secondsLeft > 0 && Math.abs(json.certificate!.secondsLeft - (na - Date.now()) / 1000) < 60);
    assert.deepEqual(json.store, {
      kind: 'file',
      reason: 'found through the kubeconfig',
      kubeconfigPath: m.kubeconfig,
      location: join(m.certDir, 'kubelet-client-current.pem'),
    });
    const text = await lc(m, ['status']);
    assert.equal(text.code, 0);
    for (const label of [
      'Joined:',
      'Node:',
      'Server:',
      'Identity:',
      'Subject:',
      'Serial:',
      'Not before:',
      'Not after:',
      'Rotation due:',
      'Store:',
      'Kubeconfig:',
    ])
      assert.ok(text.stdout.includes(label), label);
    assert.match(text.stdout, new RegExp(`Identity:\\s+system:node:${m.node} \\(system:nodes`));
    assert.doesNotMatch(text.stdout + text.stderr, /PRIVATE KEY/);
  });

  it('joined (keychain store, real gnome-keyring): exit 0 with the keychain location', async (t) => {
    const env = await keychainEnv(t);
    if (typeof env === 'string') return t.skip(env);
    const m = await joinMachine(t, cluster, 'keychain', env);
    const { code, json } = await status(m);
    assert.equal(code, 0);
    assert.equal(json.identity?.username, `system:node:${m.node}`);
    assert.equal(json.store?.kind, 'keychain');
    assert.equal(json.store?.location, `keychain service "${env.KUBEJOIN_KEYCHAIN_SERVICE}", account "${m.node}@${cluster.server}"`);
  });

  it('offline: exit 12, says it could not reach the cluster and shows what is stored', async (t) => {
    const m = await joinMachine(t, cluster, 'file');
    const offline = join(m.dir, 'offline.conf');
    const port = await closedPort();
    await writeFile(offline, (await readFile(m.kubeconfig, 'utf8')).replace(cluster.server, `https://127.0.0.1:${port}`), { mode: 0o600 });
    const r = await kubejoin(['status', '--kubeconfig', offline], { env: m.env });
    assert.equal(r.code, 12, r.stderr);
    assert.match(r.stdout, /Identity:\s+not checked: cannot reach https:\/\/127\.0\.0\.1:\d+: connection refused; showing what is stored/);
    assert.match(r.stdout, /Serial:\s+[0-9A-F]+/);
    assert.match(r.stdout, /Offline: /);
  });

  it('a join waiting for approval: exit 10, names its CSR and the kubectl certificate approve line', async (t) => {
    const { dir, env } = await fresh(t);
    const token = await cluster.signedToken({ groups: [MANUAL_GROUP] });
    await writeFile(join(dir, 'token'), token, { mode: 0o600 });
    const node = uniqueName('waiting');
    const certDir = join(dir, 'pki');
    const j = await kubejoin(
      [
        ...tokenJoinArgs(cluster, join(dir, 'token'), node),
        '--store',
        'file',
        '--cert-dir',
        certDir,
        '--kubeconfig-out',
        join(dir, 'k.conf'),
        '--timeout',
        '4s',
      ],
      { env },
    );
    assert.equal(j.code, 6, j.stderr);
    const csr = /(node-csr-[A-Za-z0-9_-]{43})/.exec(`${j.stdout}${j.stderr}`)?.[1];
    assert.ok(csr, 'the join named its CSR');
    const r = await kubejoin(['status', '--kubeconfig', join(dir, 'k.conf'), '--cert-dir', certDir, '--node-name', node], { env });
    assert.equal(r.code, 10, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`Pending join:\\s+certificate request ${csr}; key kept in ${certDir.replace(/[/.]/g, '\\$&')}/kubelet-client\\.key\\.tmp`),
    );
    assert.match(r.stdout, new RegExp(`approve with:\\s+kubectl certificate approve ${csr}`));
  });

  it('expired: status exit 11 and renew exit 11, both say to join again', async (t) => {
    const dir = await workdir(t);
    const node = uniqueName('expired');
    const m: Joined = {
      dir,
      node,
      kubeconfig: join(dir, 'kubelet.conf'),
      certDir: join(dir, 'pki'),
      env: cliEnv(),
      where: ['--kubeconfig', join(dir, 'kubelet.conf')],
    };
    await writeExpiredCredential(m);
    const { code, json } = await status(m);
    assert.equal(code, 11);
    assert.equal(json.state, 'expired');
    assert.ok(json.certificate!.secondsLeft < -3000);
    const text = await lc(m, ['status']);
    assert.match(text.stdout, /Joined:\s+no longer \(certificate expired\)/);
    assert.match(text.stdout, /join again with a new bootstrap token/);
    const renew = await lc(m, ['renew', '--force']);
    assert.equal(renew.code, 11);
    assert.match(renew.stderr, /error: the client certificate expired at .* an expired certificate cannot renew itself/);
    assert.match(renew.stderr, /Join again with a new bootstrap token/);
  });

  it('renew on an unjoined machine: exit 10', async (t) => {
    const { env } = await fresh(t);
    const r = await kubejoin(['renew', '--force'], { env });
    assert.equal(r.code, 10);
    assert.match(r.stderr, /this machine is not joined/);
  });
});

/** A node certificate signed by the cluster CA that expired an hour ago, in the file store's layout. */
async function writeExpiredCredential(m: Joined): Promise<void> {
  const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  const caKey = createPrivateKey(await readFile(join(cluster.stateDir, 'ca.key'), 'utf8'));
  const signingKey = await webcrypto.subtle.importKey('pkcs8', caKey.export({ type: 'pkcs8', format: 'der' }), RSA, false, ['sign']);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = await webcrypto.subtle.importKey('spki', publicKey.export({ type: 'spki', format: 'der' }), { name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'verify',
  ]);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '0badc0de',
    subject: `O=system:nodes, CN=system:node:${m.node}`,
    issuer: new x509.X509Certificate(cluster.caPem).subject,
    notBefore: new Date(Date.now() - 2 * 3600_000),
    notAfter: new Date(Date.now() - 3600_000),
    signingAlgorithm: RSA,
    publicKey: pub,
    signingKey,
  });
  await mkdir(m.certDir, { recursive: true, mode: 0o700 });
  const pemPath = join(m.certDir, 'kubelet-client-current.pem');
  await writeFile(pemPath, `${cert.toString('pem')}\n${privateKey.export({ type: 'sec1', format: 'pem' }).toString()}`, { mode: 0o600 });
  await writeFile(m.kubeconfig, renderKubeconfig({ server: cluster.server, caPem: cluster.caPem }, { kind: 'files', certFile: pemPath, keyFile: pemPath }), {
    mode: 0o600,
  });
}
