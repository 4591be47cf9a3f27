// The approver's rules for one CSR (agent/admin/approve-decide.ts, csr-shape.ts): which CSRs it
// owns, the kubelet client shape, and approve/deny with the reason, on real PKCS#10 requests.
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { test } from 'node:test';
import { decide, isApproved, isPending, ownedTokenId, type CsrLike } from '../../../agent/admin/approve-decide.js';
import { BOUND_GROUP, KUBELET_CLIENT_SIGNER } from '../../../agent/admin/bound.js';
import { kubeletClientShape } from '../../../agent/admin/csr-shape.js';
import { tokenToSecret, type SecretLike } from '../../../agent/admin/token-secret.js';
import { x509 } from '../../harness/x509.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

async function request(name: string, opts: { alg?: typeof EC | RsaHashedKeyGenParams; san?: boolean } = {}): Promise<string> {
  const alg = opts.alg ?? EC;
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name,
    keys,
    signingAlgorithm: alg,
    extensions: opts.san ? [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'evil.example' }])] : [],
  });
  return Buffer.from(csr.toString('pem')).toString('base64');
}

function csr(requestB64: string, over: Partial<NonNullable<CsrLike['spec']>> = {}, conditions: { type: string }[] = []): CsrLike {
  return {
    metadata: { name: 'node-csr-x', resourceVersion: '1' },
    spec: {
      request: requestB64,
      signerName: KUBELET_CLIENT_SIGNER,
      usages: ['digital signature', 'client auth'],
      username: 'system:bootstrap:abcdef',
      groups: ['system:bootstrappers', BOUND_GROUP, 'system:authenticated'],
      ...over,
    },
    status: { conditions },
  };
}

function secret(opts: { node?: string; singleUse?: boolean; ttlMs?: number } = {}): SecretLike {
  return tokenToSecret(
    {
      token: { id: 'abcdef', secret: '0123456789abcdef' },
      ttlMs: opts.ttlMs ?? 3_600_000,
      usages: ['signing', 'authentication'],
      groups: [BOUND_GROUP],
      ...(opts.node === undefined ? {} : { nodeName: opts.node }),
      ...(opts.singleUse ? { singleUse: true } : {}),
    },
    NOW,
  );
}

test('ownership: only kubelet client CSRs of a bootstrap token in the bound group', async () => {
  const r = await request('O=system:nodes, CN=system:node:edge-17');
  assert.equal(ownedTokenId(csr(r)), 'abcdef');
  assert.equal(ownedTokenId(csr(r, { groups: ['system:bootstrappers', 'system:bootstrappers:kubeadm:default-node-token'] })), undefined, 'unbound token');
  assert.equal(ownedTokenId(csr(r, { username: 'system:node:edge-17', groups: ['system:nodes', BOUND_GROUP] })), undefined, 'a node renewing');
  assert.equal(ownedTokenId(csr(r, { signerName: 'kubernetes.io/kube-apiserver-client' })), undefined, 'another signer');
  assert.ok(isPending(csr(r)));
  assert.ok(!isPending(csr(r, {}, [{ type: 'Denied' }])));
  assert.ok(isApproved(csr(r, {}, [{ type: 'Approved' }])));
});

test('valid: the bound node, unexpired, kubelet shape: approved with the binding in the message', async () => {
  const d = decide(csr(await request('O=system:nodes, CN=system:node:edge-17')), 'abcdef', secret({ node: 'edge-17' }), undefined, NOW);
  assert.deepEqual([d.verdict, d.node, d.reason, d.message], ['approve', 'edge-17', 'KubejoinBoundToken', 'kubejoin: token abcdef is bound to edge-17']);
  const rsa = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  assert.ok(
    kubeletClientShape(await request('O=system:nodes, CN=system:node:edge-17', { alg: rsa }), ['client auth', 'key encipherment', 'digital signature']).ok,
  );
});

test('invalid: each broken rule denies with its reason', async () => {
  const good = await request('O=system:nodes, CN=system:node:edge-17');
  const cases: [string, CsrLike, SecretLike | undefined, string | undefined, RegExp][] = [
    [
      'another node',
      csr(await request('O=system:nodes, CN=system:node:edge-99')),
      secret({ node: 'edge-17' }),
      undefined,
      /^kubejoin: token abcdef is bound to edge-17, not edge-99$/,
    ],
    ['token gone', csr(good), undefined, undefined, /token abcdef no longer exists/],
    [
      'expired',
      csr(good),
      tokenToSecret(
        { token: { id: 'abcdef', secret: '0123456789abcdef' }, ttlMs: 1000, usages: ['authentication'], groups: [BOUND_GROUP], nodeName: 'edge-17' },
        NOW - 60_000,
      ),
      undefined,
      /token abcdef expired at /,
    ],
    ['bound to no node', csr(good), secret(), undefined, /bound to no node/],
    [
      'single-use spent',
      csr(good),
      secret({ node: 'edge-17', singleUse: true }),
      'node-csr-first',
      /single-use token abcdef was already used \(certificate signing request node-csr-first\)/,
    ],
    [
      'two organizations',
      csr(await request('O=system:nodes, O=system:masters, CN=system:node:edge-17')),
      secret({ node: 'edge-17' }),
      undefined,
      /organization/,
    ],
    ['not a node CN', csr(await request('O=system:nodes, CN=admin')), secret({ node: 'edge-17' }), undefined, /not system:node:<name>/],
    ['SANs', csr(await request('O=system:nodes, CN=system:node:edge-17', { san: true })), secret({ node: 'edge-17' }), undefined, /subject alternative names/],
    ['server auth usage', csr(good, { usages: ['digital signature', 'client auth', 'server auth'] }), secret({ node: 'edge-17' }), undefined, /usages/],
    ['not PEM', csr(Buffer.from('hello').toString('base64')), secret({ node: 'edge-17' }), undefined, /not a PEM certificate request/],
  ];
  for (const [what, c, s, consumed, reason] of cases) {
    const d = decide(c, 'abcdef', s, consumed, NOW);
    assert.equal(d.verdict, 'deny', what);
    assert.equal(d.reason, 'KubejoinBoundTokenDenied', what);
    assert.match(d.message, reason, what);
    assert.ok(!d.message.includes('0123456789abcdef'), `${what}: the token secret leaked`);
  }
  // A non-single-use token may be used by several CSRs of its node (a device re-keying).
  assert.equal(decide(csr(good), 'abcdef', secret({ node: 'edge-17' }), 'node-csr-first', NOW).verdict, 'approve');
});
