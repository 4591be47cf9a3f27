// The CertificateSigningRequest object as far as the join needs it.

export const SIGNER_NAME = 'kubernetes.io/kube-apiserver-client-kubelet';
/** ECDSA keys: no "key encipherment" (that is added only for RSA). */
export const USAGES = ['digital signature', 'client auth'] as const;
export const CSR_PATH = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

export interface CsrCondition {
  type: string;
  status?: string;
  reason?: string;
  message?: string;
}

export interface CsrObject {
  metadata: { name: string; uid: string; resourceVersion: string };
  spec: { request: string; signerName: string; usages?: string[] };
  status?: { conditions?: CsrCondition[]; certificate?: string };
}

export type CsrState =
  | { kind: 'pending' }
  | { kind: 'approved' }
  | { kind: 'issued'; certificatePem: string }
  | { kind: 'denied' | 'failed'; reason: string; message: string };

/** Where a CSR stands: Denied/Failed are final; Approved is done only with a certificate. */
export function csrState(obj: CsrObject): CsrState {
  const conditions = obj.status?.conditions ?? [];
  for (const type of ['Denied', 'Failed'] as const) {
    const c = conditions.find((x) => x.type === type && x.status !== 'False');
    if (c) return { kind: type === 'Denied' ? 'denied' : 'failed', reason: c.reason ?? type, message: c.message ?? '' };
  }
  if (conditions.some((x) => x.type === 'Approved' && x.status !== 'False')) {
    const cert = obj.status?.certificate;
    return cert ? { kind: 'issued', certificatePem: Buffer.from(cert, 'base64').toString('utf8') } : { kind: 'approved' };
  }
  return { kind: 'pending' };
}
