import { X509Certificate, type KeyObject } from 'node:crypto';
import { KubejoinError } from '../errors.js';
import type { IssuedCertificate } from '../contract/index.js';
import type { Subject } from './pkcs10.js';
import { clockError, isSkewed, type ClockReading } from '../protocol/clock-skew.js';

/**
 * docs/protocol.md §4.7: the issued certificate holds our public key and the requested
 * subject, chains to a cluster CA, and is within its validity period.
 */
export function checkIssuedCertificate(
  pem: string,
  publicKey: KeyObject,
  subject: Subject,
  cas: readonly X509Certificate[],
  now = new Date(),
  clock?: ClockReading,
): IssuedCertificate {
  const bad = (why: string): KubejoinError => new KubejoinError('certificate-denied', `the certificate issued by the cluster is not usable: ${why}`);
  let leaf: X509Certificate;
  let intermediates: X509Certificate[];
  try {
    // status.certificate: the leaf, then any intermediates the signer appended.
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    [leaf, ...intermediates] = blocks.map((b) => new X509Certificate(b)) as [X509Certificate, ...X509Certificate[]];
    if (!leaf) throw new Error('no certificate');
  } catch {
    throw bad('it cannot be parsed');
  }
  if (!leaf.publicKey.equals(publicKey)) throw bad('its public key is not ours');
  const expected = [...subject.organizations.map((o) => `O=${o}`), `CN=${subject.commonName}`];
  const actual = leaf.subject.split('\n');
  if (expected.join('\n') !== actual.join('\n')) throw bad(`its subject is ${actual.join(', ')}, expected ${expected.join(', ')}`);
  if (!chainsTo(leaf, intermediates, cas, now)) throw bad('it was not signed by the cluster CA');
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (now < notBefore || now > notAfter) {
    const window = `valid only from ${notBefore.toISOString()} to ${notAfter.toISOString()}`;
    // docs/protocol.md §3.10: valid by the server's clock but not by ours, or a large skew: the clock is wrong.
    const serverNow = clock ? now.getTime() - clock.skewMs : undefined;
    const validForServer = serverNow !== undefined && serverNow >= notBefore.getTime() && serverNow <= notAfter.getTime();
    if (clock && (validForServer || isSkewed(clock)))
      throw clockError(clock, `the certificate the cluster issued (${window}) looks ${now < notBefore ? 'not valid yet' : 'expired'} to it`);
    throw bad(`it is ${window}`);
  }
  return {
    subject: `CN=${subject.commonName}, O=${subject.organizations.join('+')}`,
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
    serialNumber: leaf.serialNumber,
  };
}

const MAX_INTERMEDIATES = 4;

/** `cert` was issued and signed by `parent`. */
function issuedBy(cert: X509Certificate, parent: X509Certificate): boolean {
  return cert.checkIssued(parent) && cert.verify(parent.publicKey);
}

/**
 * A path from `cert` to one of `cas`, through intermediates that are CA certificates within
 * their validity (RFC 5280 path building, bounded; the CAs are the trust anchors).
 */
function chainsTo(cert: X509Certificate, intermediates: readonly X509Certificate[], cas: readonly X509Certificate[], now: Date, depth = 0): boolean {
  if (cas.some((ca) => issuedBy(cert, ca))) return true;
  if (depth >= MAX_INTERMEDIATES) return false;
  return intermediates.some(
    (next) =>
      next !== cert &&
      next.ca &&
      now >= new Date(next.validFrom) &&
      now <= new Date(next.validTo) &&
      issuedBy(cert, next) &&
      chainsTo(
        next,
        intermediates.filter((i) => i !== next),
        cas,
        now,
        depth + 1,
      ),
  );
}
