import type { X509Certificate } from 'node:crypto';
import { KubejoinError } from '../errors.js';
import { certificatesOf, pinOf, type PinSet } from '../protocol/pin.js';

// The CA pin check, one for both kinds of discovery and for the doctor (docs/protocol.md
// §3.4-3.5): parse the bundle, require one of its certificates to match one of the pins, and
// say which certificates are trusted from here on. A bundle that is authenticated (covered by
// the token's JWS, or a discovery file the operator gave) is trusted whole, as kubeadm does, so
// a cluster rotating its CA keeps verifying; an unauthenticated one (its signature failed or
// was not checked) only through the certificates that matched a pin.

export interface PinnedCA {
  /** Every CA certificate of the bundle. */
  all: X509Certificate[];
  /** The certificates trusted from here on, and their PEM. */
  certs: X509Certificate[];
  caPem: string;
  /** The pin that matched, or undefined when there were no pins (and that was allowed). */
  matchedPin: string | undefined;
}

export interface PinRule {
  /** Where the bundle came from ("cluster-info", "the discovery file"). */
  what: string;
  /** Token discovery needs a pin unless pinning was explicitly skipped. */
  pinsRequired: boolean;
  /** The bundle is authenticated (JWS-verified, or a discovery file): trusted whole. */
  authenticated: boolean;
  /** Whose certificates, in the no-match message (default `what`). */
  whose?: string;
}

export function checkPinnedCA(caPem: string, pins: PinSet, rule: PinRule): PinnedCA {
  let all: X509Certificate[];
  try {
    all = certificatesOf(caPem);
  } catch (err) {
    throw new KubejoinError('untrusted-cluster', `the CA in ${rule.what} cannot be parsed: ${(err as Error).message}`);
  }
  if (all.length === 0) throw new KubejoinError('untrusted-cluster', `${rule.what} holds no CA certificate`);
  if (pins.size === 0) {
    if (rule.pinsRequired) throw new KubejoinError('invalid-input', 'no CA cert hash given and CA verification was not explicitly skipped');
    if (!rule.authenticated) throw new KubejoinError('untrusted-cluster', `${rule.what} is not authenticated and no pin selects a CA from it`);
    return { all, certs: all, caPem, matchedPin: undefined };
  }
  const matching = all.filter((c) => pins.matchAny([c]));
  if (matching.length === 0) {
    const seen = all.map((c) => pinOf(c)).join(', ');
    throw new KubejoinError(
      'untrusted-cluster',
      `none of the CA certificates of ${rule.whose ?? rule.what} matches the given --discovery-token-ca-cert-hash (its CA hashes: ${seen})`,
      { hint: 'Check the hash on the control plane with "kubejoin ca-hash"; if it differs from the one you were given, do not trust this server.' },
    );
  }
  const certs = rule.authenticated ? all : matching;
  const pem = rule.authenticated ? caPem : `${certs.map((c) => c.toString().trim()).join('\n')}\n`;
  return { all, certs, caPem: pem, matchedPin: pinOf(matching[0]!) };
}
