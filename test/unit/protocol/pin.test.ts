import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { parsePin, pinOf, PinSet } from '../../../agent/protocol/pin.js';
import { KubejoinError } from '../../../agent/errors.js';
import { vectors as v } from '../../helpers/vectors.js';

// CA cert hashes (sha256 over the SPKI): the kubeadm pubkeypin vectors.
describe('CA pins (kubeadm pubkeypin vectors)', () => {
  for (const [i, c] of v.caPins.entries()) {
    it(`valid: pin of certificate ${i} is over its SPKI`, () => assert.equal(pinOf(c.certificatePem), c.pin));
  }
  for (const p of v.pinParsing.valid) it(`valid: parse ${p.slice(0, 12)}…`, () => assert.equal(parsePin(p), p.toLowerCase()));
  for (const p of v.pinParsing.invalid) {
    it(`invalid: parse ${JSON.stringify(p.slice(0, 20))}`, () => {
      assert.throws(
        () => parsePin(p),
        (e: unknown) => e instanceof KubejoinError && e.category === 'invalid-input' && /sha256:<64 hex digits>/.test(e.hint ?? ''),
      );
    });
  }
  it('PinSet matches any certificate of a bundle against any pin', () => {
    const set = new PinSet([v.caPins[0]!.pin, v.caPins[1]!.pin]);
    assert.equal(set.size, 2);
    assert.equal(
      set.matchAny([new X509Certificate(v.caPins[0]!.certificatePem), new X509Certificate(v.caPins[1]!.certificatePem)])?.raw.length !== undefined,
      true,
    );
    assert.equal(new PinSet([v.caPins[0]!.pin]).matchAny([new X509Certificate(v.caPins[1]!.certificatePem)]), undefined);
  });
});
