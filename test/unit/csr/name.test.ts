import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadClientKey } from '../../../agent/csr/key.js';
import { csrName } from '../../../agent/csr/name.js';
import { vectors as v } from '../../helpers/vectors.js';

// The CSR name is derived like the kubelet's: a vector made by the real kubelet.
describe('kubelet CSR name (made by the real kubelet)', () => {
  for (const c of v.kubeletCsrName) {
    it(`valid: ${c.name}`, () => {
      const key = loadClientKey(c.privateKeyPem);
      assert.equal(csrName(key.spki, { commonName: c.commonName, organizations: c.organization }, c.usages), c.name);
    });
  }
});
