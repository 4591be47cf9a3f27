import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { signDetached, verifyDetached } from '../../../agent/protocol/jws.js';
import { vectors as v } from '../../helpers/vectors.js';

// Detached JWS over cluster-info: the k8s.io/cluster-bootstrap jws vectors.
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
