// A self-signed node certificate (CN=system:node:<name>, O=system:nodes) and its P-256 key,
// for unit tests that need a real credential without a cluster.
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { x509 } from '../../harness/x509.js';

export async function nodeCredential(node: string, notBefore: Date, notAfter: Date): Promise<{ certPem: string; keyPem: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = {
    privateKey: await webcrypto.subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), alg, false, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', publicKey.export({ type: 'spki', format: 'der' }), alg, true, ['verify']),
  };
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `O=system:nodes, CN=system:node:${node}`,
    notBefore,
    notAfter,
    signingAlgorithm: alg,
    keys,
  });
  return { certPem: cert.toString('pem'), keyPem: privateKey.export({ type: 'sec1', format: 'pem' }).toString() };
}
