import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateToken, isToken, parseToken, randomTokenString } from '../../../agent/protocol/token.js';
import { KubejoinError } from '../../../agent/errors.js';
import { vectors as v } from '../../helpers/vectors.js';

// Bootstrap tokens: the k8s.io/cluster-bootstrap token vectors, and our generator.
describe('tokens (cluster-bootstrap token vectors)', () => {
  for (const t of v.tokens.valid) it(`valid: ${t.slice(0, 7)}…`, () => assert.deepEqual(parseToken(t), { id: t.slice(0, 6), secret: t.slice(7) }));
  for (const t of v.tokens.invalid) {
    it(`invalid: ${JSON.stringify(t)}`, () => {
      assert.equal(isToken(t), false);
      assert.throws(
        () => parseToken(t),
        (e: unknown) => e instanceof KubejoinError && e.category === 'invalid-input' && !e.message.includes(t.slice(7, 15) || '\0'),
      );
    });
  }
});

describe('token generation', () => {
  it('rejects bytes >= 252 (no modulo bias)', () => {
    const bytes = [252, 253, 254, 255, 0, 35, 36, 251];
    const s = randomTokenString(4, (n) => Uint8Array.from({ length: n }, (_, i) => bytes[i % bytes.length]!));
    // 252..255 are skipped; 0 -> '0', 35 -> 'z', 36 -> '0', 251 -> 'z'.
    assert.equal(s, '0z0z');
  });
  it('generates well-formed tokens', () => {
    for (let i = 0; i < 50; i++) assert.ok(isToken((({ id, secret }) => `${id}.${secret}`)(generateToken())));
  });
});
