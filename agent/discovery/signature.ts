import { KubejoinError } from '../errors.js';
import { verifyDetached } from '../protocol/jws.js';
import { clusterOf } from '../protocol/kubeconfig.js';
import type { PinSet } from '../protocol/pin.js';
import type { BootstrapToken } from '../protocol/token.js';
import { TransportError, type TrustAgent } from '../transport/http.js';
import { getClusterInfo, parseClusterInfo } from './cluster-info.js';
import { checkPinnedCA } from './pins.js';

// A JWS that does not verify has two causes: a wrong token secret, or a cluster-info changed
// on the way. With a pin they can be told apart (docs/protocol.md §3.3): the pin selects the
// CA from the unauthenticated copy, and cluster-info is read again over a connection verified
// with that CA alone (no token is sent). If that authentic copy carries the same signature
// for this token id, and it does not verify either, the secret is wrong (exit 4); if the two
// copies differ, the first was changed on the way (exit 3).

export interface RecheckOptions {
  /** An agent that trusts `caPem` only (with the join's proxy). */
  agentFor: (caPem: string) => TrustAgent;
  timeoutMs: number;
  signal?: AbortSignal;
}

type Signed = { kubeconfig: string; signature: string };

function verifies(info: Signed, token: BootstrapToken): boolean {
  return verifyDetached(info.kubeconfig, info.signature, token.id, token.secret);
}

/** The failure without a pin to tell the causes apart. */
function undecided(tokenId: string): KubejoinError {
  return new KubejoinError(
    'untrusted-cluster',
    `the JWS signature of cluster-info does not match token id "${tokenId}": the server cannot be trusted (or the token secret is wrong)`,
    { hint: 'Check that the token is exactly the one printed by "kubejoin token create"; if it is, someone may be intercepting the connection.' },
  );
}

function changedOnTheWay(endpoint: string, tokenId: string, why: string, hint?: string): KubejoinError {
  return new KubejoinError(
    'untrusted-cluster',
    `the JWS signature of cluster-info does not match token id "${tokenId}", and ${why}: cluster-info from ${endpoint} was changed on the way, the server (or the network path to it) cannot be trusted`,
    { hint: hint ?? 'Do not join over this network path; compare "kubejoin ca-hash" on the control plane with the pin you were given.' },
  );
}

export function wrongSecret(tokenId: string): KubejoinError {
  return new KubejoinError('token-refused', `the token secret does not match token id "${tokenId}"`, {
    hint:
      `cluster-info, read again over a connection verified with the pinned CA, is signed for "${tokenId}" with another secret. ` +
      'Check the part after the dot (copy the whole token again), or create a new token with "kubejoin token create".',
  });
}

/** Checks the JWS; when it fails, finds out why (see above) and throws that. */
export async function checkSignature(endpoint: string, info: Signed, token: BootstrapToken, pins: PinSet, opts: RecheckOptions): Promise<void> {
  if (verifies(info, token)) return;
  if (pins.size === 0) throw undecided(token.id);
  // The pin check on the unauthenticated copy: only the pin-matched CAs are trusted (a
  // mismatch is the pin's own message, which names the CA hashes the server showed).
  let pinned;
  try {
    const { caPem } = clusterOf(info.kubeconfig, 'the cluster-info kubeconfig');
    pinned = checkPinnedCA(caPem, pins, { what: 'cluster-info', pinsRequired: true, authenticated: false, whose: 'this cluster' });
  } catch (err) {
    if (!(err instanceof KubejoinError)) throw err;
    throw changedOnTheWay(endpoint, token.id, err.message, err.hint);
  }
  let res;
  try {
    res = await getClusterInfo(endpoint, opts.agentFor(pinned.caPem), { timeoutMs: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
  } catch (err) {
    if (!(err instanceof TransportError)) throw err;
    throw changedOnTheWay(endpoint, token.id, `the server could not be read over a connection verified with the pinned CA (${err.message})`);
  }
  const answer = parseClusterInfo(res);
  if (answer.kind !== 'ok') throw undecided(token.id);
  const authentic = answer.data;
  if (authentic.kubeconfig !== info.kubeconfig)
    throw changedOnTheWay(endpoint, token.id, 'its kubeconfig differs from the copy read over the pin-verified connection');
  if (authentic.signatureOf(token.id) !== info.signature) {
    throw changedOnTheWay(endpoint, token.id, 'its signature differs from the one read over the pin-verified connection');
  }
  throw wrongSecret(token.id);
}
