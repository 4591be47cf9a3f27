// Certificates made in the test with node:crypto and @peculiar/x509 (no openssl): a CA,
// client certificates it issues for a given public key, and a serving certificate for
// the small HTTPS servers of our own on 127.0.0.1.
import { randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import { x509 } from '../harness/x509.js';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface TestCa {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  pem: string;
}

const serial = (): string => {
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f;
  return b.toString('hex');
};

async function keyPair(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

const HOUR = 3_600_000;
export interface Validity {
  notBefore: Date;
  notAfter: Date;
}
/** Valid from an hour ago to a day from now. */
export const current = (): Validity => ({ notBefore: new Date(Date.now() - HOUR), notAfter: new Date(Date.now() + 24 * HOUR) });

/** A self-signed CA, `CN=kubernetes` unless named otherwise. */
export async function makeCa(name = 'CN=kubernetes'): Promise<TestCa> {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name,
    ...current(),
    signingAlgorithm: EC,
    keys,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  return { cert, keys, pem: cert.toString('pem') };
}

/** A client certificate for `publicKey` (an ECDSA P-256 KeyObject), issued by `ca`. */
export async function issueClientCert(ca: TestCa, publicKey: KeyObject, subject: string, validity: Validity = current()): Promise<string> {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: ca.cert.subject,
    ...validity,
    signingAlgorithm: EC,
    publicKey: await webcrypto.subtle.importKey('spki', spki, EC, true, ['verify']),
    signingKey: ca.keys.privateKey,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
  });
  return cert.toString('pem');
}

/** A self-signed serving certificate for 127.0.0.1 and its key (PEM), for https.createServer. */
export async function servingCertificate(): Promise<{ cert: string; key: string }> {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=127.0.0.1',
    ...current(),
    signingAlgorithm: EC,
    keys,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }])],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { cert: cert.toString('pem'), key: `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END PRIVATE KEY-----\n` };
}
