import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { endpointProblem, joinRequestProblems, nodeNameProblem } from '../../../agent/contract/index.js';

describe('join request validation (before any network traffic)', () => {
  const ok = { endpoint: '10.0.0.1:6443', token: 'abcdef.0123456789abcdef', caCertHashes: [`sha256:${'a'.repeat(64)}`] };
  it('valid: a complete request', () => assert.deepEqual(joinRequestProblems(ok), []));
  it('valid: discovery file with a TLS bootstrap token needs no endpoint or pin', () =>
    assert.deepEqual(joinRequestProblems({ discoveryFile: '/x', tlsBootstrapToken: ok.token }), []));
  const invalid: [string, object, RegExp][] = [
    ['malformed token', { ...ok, token: 'abcdef.0123' }, /token is malformed/],
    ['malformed pin', { ...ok, caCertHashes: ['sha256:zz'] }, /invalid CA cert hash/],
    ['no pin without the unsafe flag', { ...ok, caCertHashes: [] }, /no CA cert hash given/],
    ['endpoint with a scheme', { ...ok, endpoint: 'https://10.0.0.1:6443' }, /without a scheme/],
    ['bare IPv6 endpoint', { ...ok, endpoint: 'fd00::1:6443' }, /brackets/],
    ['port out of range', { ...ok, endpoint: 'h:70000' }, /invalid port/],
    ['upper-case node name', { ...ok, nodeName: 'Edge-1' }, /DNS-1123/],
    ['unknown store', { ...ok, store: 'vault' }, /unknown store/],
  ];
  for (const [name, req, pattern] of invalid) {
    it(`invalid: ${name}`, () => {
      const problems = joinRequestProblems(req);
      assert.ok(
        problems.some((p) => pattern.test(p.message)),
        JSON.stringify(problems),
      );
      assert.ok(
        problems.every((p) => !p.message.includes('0123456789abcdef')),
        'no secret in messages',
      );
    });
  }
  it('endpoints', () => {
    for (const e of ['h:1', '[::1]:6443', 'k8s.example.com:443']) assert.equal(endpointProblem(e), undefined, e);
  });
  it('node names', () => {
    assert.equal(nodeNameProblem('edge-1.site-a'), undefined);
    assert.match(nodeNameProblem('a'.repeat(254)) ?? '', /at most 253/);
    assert.match(nodeNameProblem('-x') ?? '', /DNS-1123/);
  });
});
