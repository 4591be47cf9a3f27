import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { signDetached, verifyDetached } from '../../agent/protocol/jws.js';
import { parsePin, pinOf, PinSet } from '../../agent/protocol/pin.js';
import { isToken, parseToken } from '../../agent/protocol/token.js';
import { validateClusterCA, validateClusterInfoSignature } from '../../agent/discovery/token.js';
import { loadClientKey } from '../../agent/csr/key.js';
import { csrName } from '../../agent/csr/name.js';
import { KubejoinError } from '../../agent/errors.js';

// Upstream test vectors (k8s.io/cluster-bootstrap, kubeadm pubkeypin/discovery) and one
// made by the real kubelet, copied from the shared vectors into test/fixtures.
interface Vectors {
  jwsDetached: { content: string; tokenId: string; tokenSecret: string; detached: string }[];
  jwsInvalid: { content: string; tokenId: string; tokenSecret: string; detached: string }[];
  caPins: { certificatePem: string; pin: string }[];
  pinParsing: { valid: string[]; invalid: string[] };
  clusterInfoKubeconfig: { kubeconfig: string; token: string; caPin: string };
  tokens: { valid: string[]; invalid: string[] };
  kubeletCsrName: { privateKeyPem: string; commonName: string; organization: string[]; usages: string[]; name: string }[];
}
const v = JSON.parse(readFileSync(new URL('../fixtures/vectors.json', import.meta.url), 'utf8')) as Vectors;

describe('JWS (cluster-bootstrap jws vectors)', () => {
  for (const [i, c] of v.jwsDetached.entries()) {
    it(`valid: vector ${i} (id ${c.tokenId}, secret of ${c.tokenSecret.length} chars)`, () => {
      assert.equal(signDetached(c.content, c.tokenId, c.tokenSecret), c.detached);
      assert.equal(verifyDetached(c.content, c.detached, c.tokenId, c.tokenSecret), true);
    });
  }
  for (const [i, c] of v.jwsInvalid.entries()) {
    it(`invalid: vector ${i}`, () => assert.equal(verifyDetached(c.content, c.detached, c.tokenId, c.tokenSecret), false));
  }
  it('invalid: HMAC keyed with id.secret instead of the secret only', () => {
    const c = v.jwsDetached[0]!;
    assert.notEqual(signDetached(c.content, c.tokenId, `${c.tokenId}.${c.tokenSecret}`), c.detached);
  });
  it('invalid: one changed byte of content', () => {
    const c = v.jwsDetached[0]!;
    assert.equal(verifyDetached(`${c.content} `, c.detached, c.tokenId, c.tokenSecret), false);
  });
});

describe('CA pins (kubeadm pubkeypin vectors)', () => {
  for (const [i, c] of v.caPins.entries()) {
    it(`valid: pin of certificate ${i} is over its SPKI`, () => assert.equal(pinOf(c.certificatePem), c.pin));
  }
  for (const p of v.pinParsing.valid) it(`valid: parse ${p.slice(0, 12)}…`, () => assert.equal(parsePin(p), p.toLowerCase()));
  for (const p of v.pinParsing.invalid) {
    it(`invalid: parse ${JSON.stringify(p.slice(0, 20))}`, () => {
      assert.throws(() => parsePin(p), (e: unknown) => e instanceof KubejoinError && e.category === 'invalid-input' && /sha256:<64 hex digits>/.test(e.hint ?? ''));
    });
  }
  it('PinSet matches any certificate of a bundle against any pin', () => {
    const set = new PinSet([v.caPins[0]!.pin, v.caPins[1]!.pin]);
    assert.equal(set.size, 2);
    assert.equal(set.matchAny([new X509Certificate(v.caPins[0]!.certificatePem), new X509Certificate(v.caPins[1]!.certificatePem)])?.raw.length !== undefined, true);
    assert.equal(new PinSet([v.caPins[0]!.pin]).matchAny([new X509Certificate(v.caPins[1]!.certificatePem)]), undefined);
  });
});

describe('tokens (cluster-bootstrap token vectors)', () => {
  for (const t of v.tokens.valid) it(`valid: ${t.slice(0, 7)}…`, () => assert.deepEqual(parseToken(t), { id: t.slice(0, 6), secret: t.slice(7) }));
  for (const t of v.tokens.invalid) {
    it(`invalid: ${JSON.stringify(t)}`, () => {
      assert.equal(isToken(t), false);
      assert.throws(() => parseToken(t), (e: unknown) => e instanceof KubejoinError && e.category === 'invalid-input' && !e.message.includes(t.slice(7, 15) || '\0'));
    });
  }
});

describe('cluster-info fixture (kubeadm discovery test)', () => {
  const f = v.clusterInfoKubeconfig;
  const token = parseToken(f.token);
  it('valid: its CA matches the fixture pin', () => {
    const pinned = validateClusterCA(f.kubeconfig, new PinSet([f.caPin]), false);
    assert.equal(pinned.matchedPin, f.caPin);
    assert.equal(pinned.server, 'https://127.0.0.1');
  });
  it('invalid: wrong CA cert hash names the hash it saw', () => {
    assert.throws(
      () => validateClusterCA(f.kubeconfig, new PinSet([v.caPins[0]!.pin]), false),
      (e: unknown) => e instanceof KubejoinError && e.category === 'untrusted-cluster' && e.message.includes(f.caPin),
    );
  });
  it('valid: no pin only with unsafe skip', () => {
    assert.equal(validateClusterCA(f.kubeconfig, new PinSet(), true).matchedPin, undefined);
    assert.throws(() => validateClusterCA(f.kubeconfig, new PinSet(), false), KubejoinError);
  });
  it('valid: a signature over the exact served string verifies; a re-serialised one does not', () => {
    const signature = signDetached(f.kubeconfig, token.id, token.secret);
    validateClusterInfoSignature({ kubeconfig: f.kubeconfig, signature }, token);
    assert.throws(
      () => validateClusterInfoSignature({ kubeconfig: f.kubeconfig.replace('users: null\n', 'users: []\n'), signature }, token),
      (e: unknown) => e instanceof KubejoinError && e.category === 'untrusted-cluster' && !e.message.includes(token.secret),
    );
  });
});

describe('kubelet CSR name (made by the real kubelet)', () => {
  for (const c of v.kubeletCsrName) {
    it(`valid: ${c.name}`, () => {
      const key = loadClientKey(c.privateKeyPem);
      assert.equal(csrName(key.spki, { commonName: c.commonName, organizations: c.organization }, c.usages), c.name);
    });
  }
});
