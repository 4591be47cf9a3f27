import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { checkIssuedCertificate } from '../../../agent/csr/check.js';
import { generateClientKey, type ClientKey } from '../../../agent/csr/key.js';
import { nodeSubject } from '../../../agent/csr/pkcs10.js';
import { KubejoinError } from '../../../agent/errors.js';
import { issueClientCert, makeCa, type TestCa } from '../../helpers/certs.js';

// The issued-certificate check (docs/protocol.md §4.7): our key, the requested subject,
// chains to a cluster CA, within its validity period. Certificates made here with
// @peculiar/x509; the real kube-controller-manager's are covered by the integration tests.

const SUBJECT = nodeSubject('edge-1');
const SUBJECT_DN = 'O=system:nodes, CN=system:node:edge-1';
const HOUR = 3_600_000;
let ours: ClientKey;
let ca: TestCa;
let cas: X509Certificate[];

before(async () => {
  ours = generateClientKey();
  ca = await makeCa();
  cas = [new X509Certificate(ca.pem)];
});

const denied = (pattern: RegExp) => (e: unknown) =>
  e instanceof KubejoinError &&
  e.category === 'certificate-denied' &&
  /^the certificate issued by the cluster is not usable: /.test(e.message) &&
  pattern.test(e.message);

describe('the issued certificate', () => {
  it('valid: our key, the requested subject, signed by the cluster CA, valid now', async () => {
    const pem = await issueClientCert(ca, ours.publicKey, SUBJECT_DN);
    const leaf = new X509Certificate(pem);
    const issued = checkIssuedCertificate(pem, ours.publicKey, SUBJECT, cas);
    assert.deepEqual(issued, {
      subject: 'CN=system:node:edge-1, O=system:nodes',
      notBefore: new Date(leaf.validFrom).toISOString(),
      notAfter: new Date(leaf.validTo).toISOString(),
      serialNumber: leaf.serialNumber,
    });
  });

  it('valid: signed by the second CA of the bundle (CA rotation)', async () => {
    const other = await makeCa('CN=kubernetes-old');
    const pem = await issueClientCert(ca, ours.publicKey, SUBJECT_DN);
    assert.equal(
      checkIssuedCertificate(pem, ours.publicKey, SUBJECT, [new X509Certificate(other.pem), ...cas]).subject,
      'CN=system:node:edge-1, O=system:nodes',
    );
  });

  it('valid: at the first and the last second of its validity', async () => {
    const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000 - HOUR);
    const notAfter = new Date(notBefore.getTime() + 2 * HOUR);
    const pem = await issueClientCert(ca, ours.publicKey, SUBJECT_DN, { notBefore, notAfter });
    checkIssuedCertificate(pem, ours.publicKey, SUBJECT, cas, notBefore);
    checkIssuedCertificate(pem, ours.publicKey, SUBJECT, cas, notAfter);
  });

  const cases: [string, () => Promise<{ pem: string; now?: Date }>, RegExp][] = [
    ['invalid: not a certificate', async () => ({ pem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' }), /it cannot be parsed$/],
    ['invalid: an empty answer', async () => ({ pem: '' }), /it cannot be parsed$/],
    ['invalid: another key', async () => ({ pem: await issueClientCert(ca, generateClientKey().publicKey, SUBJECT_DN) }), /its public key is not ours$/],
    [
      'invalid: another node name',
      async () => ({ pem: await issueClientCert(ca, ours.publicKey, 'O=system:nodes, CN=system:node:edge-2') }),
      /its subject is O=system:nodes, CN=system:node:edge-2, expected O=system:nodes, CN=system:node:edge-1$/,
    ],
    [
      'invalid: no organization',
      async () => ({ pem: await issueClientCert(ca, ours.publicKey, 'CN=system:node:edge-1') }),
      /its subject is CN=system:node:edge-1, expected O=system:nodes/,
    ],
    [
      'invalid: an extra organization (system:masters)',
      async () => ({ pem: await issueClientCert(ca, ours.publicKey, 'O=system:nodes, O=system:masters, CN=system:node:edge-1') }),
      /its subject is O=system:nodes, O=system:masters, CN=system:node:edge-1, expected/,
    ],
    [
      'invalid: signed by another CA',
      async () => ({ pem: await issueClientCert(await makeCa('CN=evil'), ours.publicKey, SUBJECT_DN) }),
      /it was not signed by the cluster CA$/,
    ],
    [
      "invalid: an impostor CA with the cluster CA's name",
      async () => ({ pem: await issueClientCert(await makeCa('CN=kubernetes'), ours.publicKey, SUBJECT_DN) }),
      /it was not signed by the cluster CA$/,
    ],
    [
      'invalid: not yet valid',
      async () => {
        const notBefore = new Date(Date.now() + HOUR);
        return { pem: await issueClientCert(ca, ours.publicKey, SUBJECT_DN, { notBefore, notAfter: new Date(notBefore.getTime() + HOUR) }) };
      },
      /it is valid only from \S+ to \S+$/,
    ],
    [
      'invalid: expired',
      async () => ({
        pem: await issueClientCert(ca, ours.publicKey, SUBJECT_DN, { notBefore: new Date(Date.now() - 2 * HOUR), notAfter: new Date(Date.now() - HOUR) }),
      }),
      /it is valid only from \S+ to \S+$/,
    ],
    [
      'invalid: checked one second after its end (the device clock decides)',
      async () => {
        const notAfter = new Date(Math.floor(Date.now() / 1000) * 1000 + HOUR);
        return {
          pem: await issueClientCert(ca, ours.publicKey, SUBJECT_DN, { notBefore: new Date(Date.now() - HOUR), notAfter }),
          now: new Date(notAfter.getTime() + 1000),
        };
      },
      /it is valid only from \S+ to \S+$/,
    ],
  ];
  for (const [name, make, pattern] of cases) {
    it(name, async () => {
      const { pem, now } = await make();
      assert.throws(() => checkIssuedCertificate(pem, ours.publicKey, SUBJECT, cas, now), denied(pattern));
    });
  }

  it('invalid: no cluster CA at all', async () => {
    const pem = await issueClientCert(ca, ours.publicKey, SUBJECT_DN);
    assert.throws(() => checkIssuedCertificate(pem, ours.publicKey, SUBJECT, []), denied(/it was not signed by the cluster CA$/));
  });
});
