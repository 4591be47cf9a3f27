import { createHash } from 'node:crypto';
import type { Subject } from './pkcs10.js';

/**
 * The kubelet's deterministic CSR name (client-go util/certificate/csr digestedName):
 * node-csr- + base64url(SHA-512/256 over each field as base64url + "|"), fields in order:
 * public key PKIX DER, CN, each O, each usage. Same key and subject give the same name.
 */
export function csrName(spki: Buffer, subject: Subject, usages: readonly string[]): string {
  const hash = createHash('sha512-256');
  const write = (data: Buffer | string): void => {
    hash.update(Buffer.from(data).toString('base64url'));
    hash.update('|');
  };
  write(spki);
  write(subject.commonName);
  for (const o of subject.organizations) write(o);
  for (const u of usages) write(u);
  return `node-csr-${hash.digest('base64url')}`;
}
