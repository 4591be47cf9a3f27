import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SIGNER_NAME, USAGES, type CsrObject } from '../../../agent/csr/api.js';
import { generateClientKey, type ClientKey } from '../../../agent/csr/key.js';
import { createCsrPem, nodeSubject, type Subject } from '../../../agent/csr/pkcs10.js';
import { ensureCompatible } from '../../../agent/csr/request.js';
import { KubejoinError } from '../../../agent/errors.js';

// ensureCompatible (the kubelet's check before reusing a CSR an earlier run left under our
// deterministic name): same subject, same signer, and the request is signed by our key.

const NAME = 'node-csr-test';
const SUBJECT = nodeSubject('edge-1');
let ours: ClientKey;
let other: ClientKey;

before(() => {
  ours = generateClientKey();
  other = generateClientKey();
});

function csrObject(request: string, signerName = SIGNER_NAME): CsrObject {
  return {
    metadata: { name: NAME, uid: 'u1', resourceVersion: '7' },
    spec: { request: Buffer.from(request).toString('base64'), signerName, usages: [...USAGES] },
  };
}

const refused = (pattern: RegExp) => (e: unknown) =>
  e instanceof KubejoinError &&
  e.category === 'certificate-denied' &&
  e.message.startsWith(`a certificate signing request named ${NAME} already exists but was not made by this key: `) &&
  pattern.test(e.message) &&
  e.hint === `Delete it with "kubectl delete csr ${NAME}" if it is stale, and join again.`;

describe('ensureCompatible: reusing an existing CSR', () => {
  it('valid: same subject, same signer, signed by our key', () => {
    assert.doesNotThrow(() => ensureCompatible(csrObject(createCsrPem(ours, SUBJECT)), ours, SUBJECT));
  });

  const cases: [string, () => CsrObject, RegExp][] = [
    ['invalid: another key', () => csrObject(createCsrPem(other, SUBJECT)), /its public key or signature differs$/],
    [
      'invalid: our public key, signed by another key',
      () => csrObject(createCsrPem({ ...ours, privateKey: other.privateKey }, SUBJECT)),
      /its public key or signature differs$/,
    ],
    ['invalid: another node name', () => csrObject(createCsrPem(ours, nodeSubject('edge-2'))), /its subject is CN=system:node:edge-2$/],
    [
      'invalid: another organization',
      () => csrObject(createCsrPem(ours, { commonName: SUBJECT.commonName, organizations: ['system:masters'] } satisfies Subject)),
      /its subject is CN=system:node:edge-1$/,
    ],
    [
      'invalid: an extra organization',
      () => csrObject(createCsrPem(ours, { commonName: SUBJECT.commonName, organizations: ['system:nodes', 'system:masters'] })),
      /its subject is CN=system:node:edge-1$/,
    ],
    [
      'invalid: another signer',
      () => csrObject(createCsrPem(ours, SUBJECT), 'kubernetes.io/kube-apiserver-client'),
      /its signer is kubernetes.io\/kube-apiserver-client$/,
    ],
    ['invalid: not a certificate request', () => csrObject('not a CSR'), /its request cannot be parsed$/],
    [
      'invalid: a PEM block that is not PKCS#10',
      () => csrObject('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n'),
      /its request cannot be parsed$/,
    ],
  ];
  for (const [name, make, pattern] of cases) {
    it(name, () => assert.throws(() => ensureCompatible(make(), ours, SUBJECT), refused(pattern)));
  }

  it('invalid: the signer is checked first, before the request is parsed', () => {
    assert.throws(() => ensureCompatible(csrObject('not a CSR', 'example.com/other'), ours, SUBJECT), refused(/its signer is example.com\/other$/));
  });
});
