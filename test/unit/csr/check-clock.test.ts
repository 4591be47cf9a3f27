import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkIssuedCertificate } from '../../../agent/csr/check.js';
import { nodeSubject } from '../../../agent/csr/pkcs10.js';
import { KubejoinError } from '../../../agent/errors.js';

// The issued certificate checked on a device whose clock is wrong (docs/protocol.md §3.10):
// a certificate valid by the server's clock but not by ours names the clock (exit 8).

function issue(): { pem: string; ca: X509Certificate; keyPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kubejoin-check-'));
  const f = (n: string): string => join(dir, n);
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' });
  try {
    ssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      f('ca.key'),
      '-out',
      f('ca.crt'),
      '-days',
      '2',
      '-subj',
      '/CN=kubernetes',
    );
    ssl(
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      f('n.key'),
      '-out',
      f('n.csr'),
      '-subj',
      '/O=system:nodes/CN=system:node:n1',
    );
    ssl('x509', '-req', '-in', f('n.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('n.crt'), '-days', '1');
    return { pem: readFileSync(f('n.crt'), 'utf8'), ca: new X509Certificate(readFileSync(f('ca.crt'))), keyPem: readFileSync(f('n.key'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const { pem, ca, keyPem } = issue();
const publicKey = createPublicKey(createPrivateKey(keyPem));
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
