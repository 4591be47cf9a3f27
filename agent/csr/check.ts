import { X509Certificate, type KeyObject } from 'node:crypto';
import { KubejoinError } from '../errors.js';
import type { IssuedCertificate } from '../contract/index.js';
import type { Subject } from './pkcs10.js';

/**
 * docs/protocol.md §4.7: the issued certificate holds our public key and the requested
 * subject, chains to a cluster CA, and is within its validity period.
 */
export function checkIssuedCertificate(pem: string, publicKey: KeyObject, subject: Subject, cas: readonly X509Certificate[], now = new Date()): IssuedCertificate {
  const bad = (why: string): KubejoinError =>
    new KubejoinError('certificate-denied', `the certificate issued by the cluster is not usable: ${why}`);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(pem);
  } catch {
    throw bad('it cannot be parsed');
  }
  if (!leaf.publicKey.equals(publicKey)) throw bad('its public key is not ours');
  const expected = [...subject.organizations.map((o) => `O=${o}`), `CN=${subject.commonName}`];
  const actual = leaf.subject.split('\n');
  if (expected.join('\n') !== actual.join('\n')) throw bad(`its subject is ${actual.join(', ')}, expected ${expected.join(', ')}`);
  if (!cas.some((ca) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey))) throw bad('it was not signed by the cluster CA');
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  if (now < notBefore || now > notAfter) throw bad(`it is valid only from ${notBefore.toISOString()} to ${notAfter.toISOString()}`);
  return { subject: `CN=${subject.commonName}, O=${subject.organizations.join('+')}`, notBefore: notBefore.toISOString(), notAfter: notAfter.toISOString(), serialNumber: leaf.serialNumber };
}
