// docs/protocol.md §4.7: the issued certificate must chain to a cluster CA, directly or
// through intermediates that came with it in status.certificate (and only real, valid CAs).
import assert from 'node:assert/strict';
import { X509Certificate, webcrypto } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { checkIssuedCertificate } from '../../../agent/csr/check.js';
import { generateClientKey, type ClientKey } from '../../../agent/csr/key.js';
import { nodeSubject } from '../../../agent/csr/pkcs10.js';
import { x509 } from '../../harness/x509.js';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const subject = nodeSubject('edge-1');
const now = new Date();
const day = 86_400_000;

interface Ca {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

async function keys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function ca(name: string, issuer?: Ca, opts: { isCa?: boolean; notAfter?: Date } = {}): Promise<Ca> {
  const k = await keys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject: `CN=${name}`,
    issuer: issuer ? issuer.cert.subject : `CN=${name}`,
    notBefore: new Date(now.getTime() - day),
    notAfter: opts.notAfter ?? new Date(now.getTime() + 30 * day),
    signingAlgorithm: EC,
    publicKey: k.publicKey,
    signingKey: (issuer ?? { keys: k }).keys.privateKey,
    extensions: [new x509.BasicConstraintsExtension(opts.isCa ?? true, undefined, true)],
  });
  return { cert, keys: k };
}

async function leafFrom(issuer: Ca, key: ClientKey): Promise<string> {
  const publicKey = await webcrypto.subtle.importKey('spki', key.spki, EC, true, ['verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'O=system:nodes, CN=system:node:edge-1',
    issuer: issuer.cert.subject,
    notBefore: new Date(now.getTime() - day),
    notAfter: new Date(now.getTime() + 10 * day),
    signingAlgorithm: EC,
    publicKey,
    signingKey: issuer.keys.privateKey,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  return cert.toString('pem');
}

const node = (c: Ca): X509Certificate => new X509Certificate(c.cert.toString('pem'));

describe('checkIssuedCertificate: the chain to the cluster CA', () => {
  let root: Ca;
  let key: ClientKey;
  before(async () => {
    root = await ca('root');
    key = generateClientKey();
  });

  it('valid: signed by the cluster CA directly', async () => {
    const info = checkIssuedCertificate(await leafFrom(root, key), key.publicKey, subject, [node(root)], now);
    assert.equal(info.subject, 'CN=system:node:edge-1, O=system:nodes');
  });

  it('valid: through an intermediate that came with it (and through two)', async () => {
    const inter = await ca('inter', root);
    assert.ok(checkIssuedCertificate(`${await leafFrom(inter, key)}\n${inter.cert.toString('pem')}`, key.publicKey, subject, [node(root)], now));
    const inter2 = await ca('inter2', inter);
    const chain = `${await leafFrom(inter2, key)}\n${inter.cert.toString('pem')}\n${inter2.cert.toString('pem')}`;
    assert.ok(checkIssuedCertificate(chain, key.publicKey, subject, [node(root)], now), 'in any order');
  });

  it('valid: through an intermediate that is in the CA bundle', async () => {
    const inter = await ca('inter', root);
    assert.ok(checkIssuedCertificate(await leafFrom(inter, key), key.publicKey, subject, [node(root), node(inter)], now));
  });

  const refused: [string, () => Promise<string>][] = [
    ['the intermediate is missing', async () => leafFrom(await ca('inter', root), key)],
    [
      'the "intermediate" is not a CA',
      async () => {
        const notCa = await ca('not-a-ca', root, { isCa: false });
        return `${await leafFrom(notCa, key)}\n${notCa.cert.toString('pem')}`;
      },
    ],
    [
      'the intermediate has expired',
      async () => {
        const old = await ca('old', root, { notAfter: new Date(now.getTime() - 1000) });
        return `${await leafFrom(old, key)}\n${old.cert.toString('pem')}`;
      },
    ],
    [
      'the intermediate belongs to another root',
      async () => {
        const other = await ca('inter', await ca('root'));
        return `${await leafFrom(other, key)}\n${other.cert.toString('pem')}`;
      },
    ],
  ];
  for (const [why, make] of refused) {
    it(`invalid: ${why}`, async () => {
      const pem = await make();
      assert.throws(() => checkIssuedCertificate(pem, key.publicKey, subject, [node(root)], now), /it was not signed by the cluster CA$/);
    });
  }
});
