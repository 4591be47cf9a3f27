import type { X509Certificate } from 'node:crypto';
import { KubejoinError } from '../errors.js';
import { certificatesOf, pinOf, type PinSet } from '../protocol/pin.js';

// The CA pin check, one for both kinds of discovery (docs/protocol.md §3.4-3.5): parse the
// bundle, then require one of its certificates to match one of the given pins.

export interface PinnedCA {
  /** The CA certificates of the bundle. */
  certs: X509Certificate[];
  /** The pin that matched, or undefined when there were no pins (and that was allowed). */
  matchedPin: string | undefined;
}

/**
 * `what` names where the bundle came from ("cluster-info", "the discovery file"), `whose`
 * whose certificates they are in the no-match message.
 * `pinsRequired`: token discovery needs a pin unless pinning was explicitly skipped;
 * a discovery file is trusted as given when no pin is passed.
 */
export function checkPinnedCA(caPem: string, pins: PinSet, what: string, pinsRequired: boolean, whose = what): PinnedCA {
  let certs: X509Certificate[];
  try {
    certs = certificatesOf(caPem);
  } catch (err) {
    throw new KubejoinError('untrusted-cluster', `the CA in ${what} cannot be parsed: ${(err as Error).message}`);
  }
  if (certs.length === 0) throw new KubejoinError('untrusted-cluster', `${what} holds no CA certificate`);
  if (pins.size === 0) {
    if (pinsRequired) throw new KubejoinError('invalid-input', 'no CA cert hash given and CA verification was not explicitly skipped');
    return { certs, matchedPin: undefined };
  }
  const match = pins.matchAny(certs);
  if (!match) {
    const seen = certs.map((c) => pinOf(c)).join(', ');
    throw new KubejoinError(
      'untrusted-cluster',
      `none of the CA certificates of ${whose} matches the given --discovery-token-ca-cert-hash (its CA hashes: ${seen})`,
      { hint: 'Check the hash on the control plane with "kubejoin ca-hash"; if it differs from the one you were given, do not trust this server.' },
    );
  }
  return { certs, matchedPin: pinOf(match) };
}
