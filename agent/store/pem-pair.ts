import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';

export interface CertAndKey {
  certPem: string;
  keyPem: string;
}

/** One thing reset removes, in words: what it is and where it lives. */
export interface StoredItem {
  what: string;
  where: string;
}

/** Splits a kubelet-style PEM file (certificate blocks, then the key). */
export function splitPem(pem: string): CertAndKey | undefined {
  const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  const key = /-----BEGIN (?:EC |RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:EC |RSA )?PRIVATE KEY-----/.exec(pem)?.[0];
  if (!certs || !key) return undefined;
  return { certPem: `${certs.join('\n')}\n`, keyPem: `${key}\n` };
}

/** True when the certificate's public key belongs to the private key. */
export function pairMatches(certPem: string, keyPem: string): boolean {
  try {
    const fromCert = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
    const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
    return fromCert.equals(fromKey);
  } catch {
    return false;
  }
}
