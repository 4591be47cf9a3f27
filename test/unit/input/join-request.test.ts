// The one JoinRequest builder: each field's type, layers, and problems that never quote a secret.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildJoinRequest, type JoinInput } from '../../../agent/input/join-request.js';
import { PIN, TOKEN, TOKEN_SECRET } from '../../helpers/fixtures.js';

describe('buildJoinRequest', () => {
  it('valid: every field, durations as Go text or checked ms; absent values left out', () => {
    const r = buildJoinRequest({
      endpoint: '10.0.0.1:6443',
      token: TOKEN,
      caCertHashes: PIN,
      unsafeSkipCaVerification: false,
      nodeName: 'n1',
      store: 'file',
      certDir: '',
      kubeconfigOut: null,
      force: true,
      discoveryTimeoutMs: '2m',
      timeoutMs: 90_000,
    });
    assert.deepEqual(r, {
      ok: true,
      request: {
        endpoint: '10.0.0.1:6443',
        token: TOKEN,
        caCertHashes: [PIN],
        unsafeSkipCaVerification: false,
        nodeName: 'n1',
        store: 'file',
        force: true,
        discoveryTimeoutMs: 120_000,
        timeoutMs: 90_000,
      },
    });
  });
  it('valid: later layers win field by field', () => {
    const r = buildJoinRequest({ endpoint: 'a:1', nodeName: 'from-config' }, { nodeName: 'from-flag', endpoint: undefined });
    assert.deepEqual(r, { ok: true, request: { endpoint: 'a:1', nodeName: 'from-flag' } });
  });
  const invalid: [string, JoinInput, string, RegExp][] = [
    ['a quoted boolean', { unsafeSkipCaVerification: 'false' }, 'unsafeSkipCaVerification', /^"false" is not a boolean/],
    ['an unknown store', { store: 'cloud' }, 'store', /^"cloud" is not supported: use auto, keychain or file$/],
    ['a number for a name', { nodeName: 1234 }, 'nodeName', /^1234 is not a string$/],
    ['pins that are not strings', { caCertHashes: [1, 2] }, 'caCertHashes', /^is not a list of sha256:<hex> strings$/],
    ['a duration a timer cannot hold', { timeoutMs: '600h' }, 'timeoutMs', /^"600h" is longer than a timer can hold/],
    ['a negative duration', { discoveryTimeoutMs: '-1s' }, 'discoveryTimeoutMs', /^"-1s" is negative/],
    ['a duration without a unit', { discoveryTimeoutMs: '300' }, 'discoveryTimeoutMs', /^"300" is not a duration/],
    ['a duration of the wrong type', { timeoutMs: true }, 'timeoutMs', /^true is not a duration/],
    ['fractional ms', { timeoutMs: 1.5 }, 'timeoutMs', /finer than the 1 ms/],
  ];
  for (const [name, input, field, message] of invalid) {
    it(`invalid: ${name}`, () => {
      const r = buildJoinRequest(input);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.problems.length, 1, JSON.stringify(r.problems));
      assert.equal(r.problems[0]!.field, field);
      assert.match(r.problems[0]!.message, message);
    });
  }
  it('invalid: every bad field is named at once', () => {
    const r = buildJoinRequest({ store: 'x', force: 'yes', proxy: 7 });
    assert.deepEqual(r.ok ? [] : r.problems.map((p) => p.field).sort(), ['force', 'proxy', 'store']);
  });
  it('invalid: a secret of the wrong type is named, never quoted', () => {
    for (const field of ['token', 'tlsBootstrapToken', 'proxy'] as const) {
      const r = buildJoinRequest({ [field]: [TOKEN, `http://user:${TOKEN_SECRET}@proxy:3128`] });
      assert.equal(r.ok, false);
      const text = JSON.stringify(r);
      assert.ok(!text.includes(TOKEN_SECRET), text);
    }
  });
});
