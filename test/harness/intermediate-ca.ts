// An external kubelet-client signer that signs with an intermediate CA: the
// intermediate is signed by the cluster CA that discovery pins, and every certificate it
// issues is uploaded as status.certificate = leaf then intermediate, the way external signers
// hand out chains. Start the cluster with EXTERNAL_SIGNER_FLAGS (kube-controller-manager still
// approves, but does not sign), write the PKI first with writePkiWithIntermediate.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, webcrypto } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { ClusterHandle } from './handle.js';
import { generatePki, writePki } from './pki.js';
import { x509 } from './x509.js';

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** The kubeadm controllers minus csrsigning: the test signs instead. */
export const EXTERNAL_SIGNER_FLAGS = ['--controllers=*,bootstrapsigner,tokencleaner,-csrsigning'];

export interface Intermediate {
  cert: x509.X509Certificate;
  pem: string;
  key: CryptoKey;
}

const serial = (): string => `01${randomBytes(8).toString('hex')}`;

async function signingKey(pem: string): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' }), RSA, false, ['sign']);
}

/** Writes the usual PKI into `stateDir` and returns an intermediate CA signed by its root. */
export async function writePkiWithIntermediate(stateDir: string): Promise<Intermediate> {
  await mkdir(stateDir, { recursive: true });
  const pki = await generatePki();
  await writePki(stateDir, pki);
  const root = new x509.X509Certificate(pki.caCert);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKey = await webcrypto.subtle.importKey('spki', createPublicKey(privateKey).export({ type: 'spki', format: 'der' }), RSA, true, ['verify']);
  const notBefore = new Date(Date.now() - 5 * 60_000);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=kubejoin-test-kubelet-client-intermediate',
    issuer: root.subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + 365 * 86_400_000),
    signingAlgorithm: RSA,
    publicKey,
    signingKey: await signingKey(pki.caKey),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(root),
    ],
  });
  return { cert, pem: cert.toString('pem'), key: await signingKey(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()) };
}

interface CsrItem {
  metadata: { name: string };
  spec: { request: string; signerName: string };
  status?: { certificate?: string; conditions?: { type: string }[] };
}

/**
 * Signs every approved, unsigned kubelet-client CSR with the intermediate until `signal`
 * aborts; each upload is leaf + intermediate. Returns the names it signed.
 */
export async function runIntermediateSigner(cluster: ClusterHandle, inter: Intermediate, signal: AbortSignal): Promise<string[]> {
  const signed: string[] = [];
  while (!signal.aborted) {
    const list = await cluster.request({ path: '/apis/certificates.k8s.io/v1/certificatesigningrequests' });
    for (const csr of (JSON.parse(list.text) as { items: CsrItem[] }).items) {
      const approved = csr.status?.conditions?.some((c) => c.type === 'Approved');
      if (!approved || csr.status?.certificate || csr.spec.signerName !== 'kubernetes.io/kube-apiserver-client-kubelet') continue;
      const request = new x509.Pkcs10CertificateRequest(Buffer.from(csr.spec.request, 'base64').toString('utf8'));
      const notBefore = new Date(Date.now() - 60_000);
      const leaf = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: request.subject,
        issuer: inter.cert.subject,
        notBefore,
        notAfter: new Date(notBefore.getTime() + 30 * 86_400_000),
        signingAlgorithm: RSA,
        publicKey: request.publicKey,
        signingKey: inter.key,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
          await x509.AuthorityKeyIdentifierExtension.create(inter.cert),
        ],
      });
      const certificate = Buffer.from(`${leaf.toString('pem')}\n${inter.pem}\n`).toString('base64');
      const put = await cluster.request({
        method: 'PUT',
        path: `/apis/certificates.k8s.io/v1/certificatesigningrequests/${csr.metadata.name}/status`,
        body: { ...csr, status: { ...csr.status, certificate } },
      });
      if (put.status === 200) signed.push(csr.metadata.name);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return signed;
}
