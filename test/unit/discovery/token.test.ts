import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { signDetached } from '../../../agent/protocol/jws.js';
import { PinSet } from '../../../agent/protocol/pin.js';
import { parseToken } from '../../../agent/protocol/token.js';
import { validateClusterCA, validateClusterInfoSignature } from '../../../agent/discovery/token.js';
import { KubejoinError } from '../../../agent/errors.js';
import { vectors as v } from '../../helpers/vectors.js';

// Checking a served cluster-info: the kubeadm discovery test fixture.
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
