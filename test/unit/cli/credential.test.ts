import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { x509 } from '../../harness/x509.js';
import { execCredential } from '../../../agent/cli/commands/credential.js';
import { boundMs, busSocketPath, credentialAccount, keytarAttributes, serviceName, SecretServiceTimeout } from '../../../agent/store/secret-service.js';
import { keychainAccount, keychainService } from '../../../agent/store/keychain.js';
import { KeychainCallError, keychainTimeoutMs } from '../../../agent/store/keytar-child.js';

// docs/stores.md §2: what `kubejoin credential` prints for kubectl, and where it reads from.

async function selfSigned(notAfter: Date): Promise<string> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=system:node:n',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter,
    keys,
    signingAlgorithm: alg,
  });
  return cert.toString('pem');
}

describe('credential: the ExecCredential', () => {
  it('expirationTimestamp is the certificate notAfter in RFC 3339 (client-go caches until then)', async () => {
    const certPem = await selfSigned(new Date('2031-07-08T09:10:11Z'));
    const out = execCredential({ certPem, keyPem: 'KEY' });
    assert.ok(out.endsWith('}\n'));
    assert.deepEqual(JSON.parse(out), {
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: { clientCertificateData: certPem, clientKeyData: 'KEY', expirationTimestamp: '2031-07-08T09:10:11Z' },
    });
  });
});

describe('credential: the Secret Service read without keytar', () => {
  it('finds the unix socket of a D-Bus address', () => {
    assert.equal(busSocketPath('unix:path=/run/user/1000/bus'), '/run/user/1000/bus');
    assert.equal(busSocketPath('unix:path=/tmp/dbus-x,guid=0123'), '/tmp/dbus-x');
    assert.equal(busSocketPath('unix:abstract=/tmp/dbus-y,guid=1'), '\0/tmp/dbus-y');
    assert.equal(busSocketPath('tcp:host=h,port=1;unix:path=/tmp/a%2cb'), '/tmp/a,b');
    assert.equal(busSocketPath('tcp:host=h,port=1'), undefined);
    assert.equal(busSocketPath(undefined), undefined);
  });

  it("searches with keytar's attributes (libsecret's generic schema)", () => {
    assert.deepEqual(keytarAttributes('kubejoin', 'n@https://h:6443#credential'), {
      'xdg:schema': 'org.freedesktop.Secret.Generic',
      service: 'kubejoin',
      account: 'n@https://h:6443#credential',
    });
  });

  it("uses the store's names and bound, repeated so that the plugin does not load the store", () => {
    for (const env of [
      {},
      { KUBEJOIN_KEYCHAIN_SERVICE: 'other' },
      { KUBEJOIN_KEYCHAIN_TIMEOUT: '2s' },
      { KUBEJOIN_KEYCHAIN_TIMEOUT: '0' },
      { KUBEJOIN_KEYCHAIN_TIMEOUT: 'x' },
    ]) {
      assert.equal(serviceName(env), keychainService(env));
      assert.equal(boundMs(env), keychainTimeoutMs(env));
    }
    assert.equal(credentialAccount('n', 'https://h:6443'), keychainAccount('n', 'https://h:6443', 'credential'));
    const ours = new SecretServiceTimeout(2000);
    const theirs = new KeychainCallError('the keychain did not answer within 2 s (is it locked, or waiting for an unlock prompt?)', 'timeout');
    assert.equal(ours.message, theirs.message);
  });
});
