// The cluster PKI, kubeadm style: an RSA 2048 CA, the apiserver serving certificate, the
// admin and controller-manager client certificates, and the service-account key pair.
import { createHash, generateKeyPair, randomBytes, webcrypto, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { x509 } from './x509.js';

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** File names inside the state dir. */
export const PKI_FILES = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  apiserverCert: 'apiserver.crt',
  apiserverKey: 'apiserver.key',
  adminCert: 'admin.crt',
  adminKey: 'admin.key',
  kcmCert: 'controller-manager.crt',
  kcmKey: 'controller-manager.key',
  saKey: 'sa.key',
  saPub: 'sa.pub',
} as const;

export type PkiName = keyof typeof PKI_FILES;
export type Pki = Record<PkiName, string>; // PEM text of each file

export const APISERVER_SANS = {
  dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
  ip: ['127.0.0.1', '10.96.0.1'],
};

interface RsaKey {
  pem: string; // PKCS#1 "RSA PRIVATE KEY", as kubeadm writes it
  publicPem: string; // SPKI "PUBLIC KEY"
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

async function rsaKey(): Promise<RsaKey> {
  const { privateKey, publicKey } = await new Promise<{ privateKey: KeyObject; publicKey: KeyObject }>((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: 2048 }, (err, pub, priv) => (err ? reject(err) : resolve({ privateKey: priv, publicKey: pub }))),
  );
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return {
    pem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKey: await webcrypto.subtle.importKey('pkcs8', pkcs8, RSA, false, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', spki, RSA, true, ['verify']),
  };
}

const serial = (): string => {
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f; // positive
  return b.toString('hex');
};

function validity(years: number): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Date.now() - 5 * 60_000); // tolerate small clock skew
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + years);
  return { notBefore, notAfter };
}

async function leaf(
  ca: { cert: x509.X509Certificate; key: RsaKey },
  key: RsaKey,
  subject: string,
  eku: x509.ExtendedKeyUsage,
  sans?: typeof APISERVER_SANS,
): Promise<string> {
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([eku]),
    await x509.AuthorityKeyIdentifierExtension.create(ca.key.publicKey),
  ];
  if (sans) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        ...sans.dns.map((value) => ({ type: 'dns' as const, value })),
        ...sans.ip.map((value) => ({ type: 'ip' as const, value })),
      ]),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: ca.cert.subject,
    ...validity(1),
    signingAlgorithm: RSA,
    publicKey: key.publicKey,
    signingKey: ca.key.privateKey,
    extensions,
  });
  return cert.toString('pem');
}

/** A fresh cluster PKI (five RSA 2048 keys, generated in parallel). */
export async function generatePki(): Promise<Pki> {
  const [caKey, apiKey, adminKey, kcmKey, saKey] = await Promise.all([rsaKey(), rsaKey(), rsaKey(), rsaKey(), rsaKey()]);
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=kubernetes',
    ...validity(10),
    signingAlgorithm: RSA,
    keys: { privateKey: caKey.privateKey, publicKey: caKey.publicKey },
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyCertSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKey.publicKey),
    ],
  });
  const ca = { cert: caCert, key: caKey };
  const [apiserverCert, adminCert, kcmCert] = await Promise.all([
    leaf(ca, apiKey, 'CN=kube-apiserver', x509.ExtendedKeyUsage.serverAuth, APISERVER_SANS),
    leaf(ca, adminKey, 'CN=kubernetes-admin, O=system:masters', x509.ExtendedKeyUsage.clientAuth),
    leaf(ca, kcmKey, 'CN=system:kube-controller-manager', x509.ExtendedKeyUsage.clientAuth),
  ]);
  return {
    caCert: caCert.toString('pem'),
    caKey: caKey.pem,
    apiserverCert,
    apiserverKey: apiKey.pem,
    adminCert,
    adminKey: adminKey.pem,
    kcmCert,
    kcmKey: kcmKey.pem,
    saKey: saKey.pem,
    saPub: saKey.publicPem,
  };
}

const withNewline = (s: string): string => (s.endsWith('\n') ? s : `${s}\n`);

export async function writePki(dir: string, pki: Pki): Promise<void> {
  await Promise.all(
    (Object.keys(PKI_FILES) as PkiName[]).map((name) =>
      // Keys 0600, certificates and the public key 0644.
      {
        const file = join(dir, PKI_FILES[name]);
        const mode = /Key$/.test(name) ? 0o600 : 0o644;
        return writeFile(file, withNewline(pki[name]), { mode }).then(() => chmod(file, mode));
      },
    ),
  );
}

/** The PKI in dir if complete, else undefined. */
export async function readPki(dir: string): Promise<Pki | undefined> {
  const names = Object.keys(PKI_FILES) as PkiName[];
  if (!names.every((n) => existsSync(join(dir, PKI_FILES[n])))) return undefined;
  const texts = await Promise.all(names.map((n) => readFile(join(dir, PKI_FILES[n]), 'utf8')));
  return Object.fromEntries(names.map((n, i) => [n, texts[i]])) as Pki;
}

/** kubeadm's --discovery-token-ca-cert-hash: sha256 over the CA's SubjectPublicKeyInfo DER. */
export function caCertHash(caPem: string): string {
  const spki = new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}
