import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { checkIssuedCertificate } from '../../../agent/csr/check.js';
import { nodeSubject } from '../../../agent/csr/pkcs10.js';
import { KubejoinError } from '../../../agent/errors.js';
import { issueClientCert, makeCa } from '../../helpers/certs.js';

// The issued certificate checked on a device whose clock is wrong (docs/protocol.md §3.10):
// a certificate valid by the server's clock but not by ours names the clock (exit 8).

// A CA and the node's client certificate, made with test/helpers/certs.ts.
const caCert = await makeCa();
const ca = new X509Certificate(caCert.pem);
const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = await issueClientCert(caCert, publicKey, 'O=system:nodes, CN=system:node:n1');
const subject = nodeSubject('n1');
const notBefore = Date.parse(new X509Certificate(pem).validFrom);
const DAY = 86_400_000;

function failure(now: number, clock?: { deviceAt: number; serverAt: number; skewMs: number }): KubejoinError {
  try {
    checkIssuedCertificate(pem, publicKey, subject, [ca], new Date(now), clock);
  } catch (err) {
    assert.ok(err instanceof KubejoinError);
    return err;
  }
  assert.fail('the certificate was accepted');
}

test('valid: the certificate passes at the right time', () => {
  assert.match(checkIssuedCertificate(pem, publicKey, subject, [ca], new Date(notBefore + 60_000)).subject, /system:node:n1/);
});

test('invalid: two days behind, measured: the clock is named (exit 8) with the skew', () => {
  const now = notBefore - 2 * DAY;
  const err = failure(now, { deviceAt: now, serverAt: now + 2 * DAY, skewMs: -2 * DAY });
  assert.equal(err.category, 'clock');
  assert.equal(err.exitCode, 8);
  assert.match(err.message, /this device's clock is 2 days behind the API server .*the certificate the cluster issued .* looks not valid yet/);
  assert.match(err.hint ?? '', /timedatectl set-ntp true/);
});

test('invalid: 3 minutes behind (under the limit) but the certificate is valid by the server: still the clock', () => {
  const now = notBefore - 60_000;
  const err = failure(now, { deviceAt: now, serverAt: now + 180_000, skewMs: -180_000 });
  assert.equal(err.category, 'clock');
});

test('invalid: no clock reading, or a clock that agrees: the certificate itself is refused (exit 5)', () => {
  assert.equal(failure(notBefore - 2 * DAY).category, 'certificate-denied');
  const now = notBefore + 3 * DAY; // expired by both clocks
  const err = failure(now, { deviceAt: now, serverAt: now, skewMs: 0 });
  assert.equal(err.category, 'certificate-denied');
  assert.match(err.message, /valid only from/);
});
