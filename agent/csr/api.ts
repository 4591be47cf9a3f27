import { isRecord, MalformedObjectError } from '../protocol/objects.js';

export { MalformedObjectError };

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
  { kind: 'pending' } | { kind: 'approved' } | { kind: 'issued'; certificatePem: string } | { kind: 'denied' | 'failed'; reason: string; message: string };

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

// (Messages name fields, never values: nothing from the answer is quoted but a type, cut to 20 characters.)

/** Parses and shape-checks a CertificateSigningRequest from the API; MalformedObjectError otherwise. */
export function parseCsrObject(text: string, what: string): CsrObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MalformedObjectError(`${what} is not JSON`);
  }
  return checkCsrObject(value, what);
}

export function checkCsrObject(value: unknown, what: string): CsrObject {
  const bad = (why: string): MalformedObjectError => new MalformedObjectError(`${what} is malformed: ${why}`);
  if (!isRecord(value)) throw bad('not an object');
  const { metadata, spec, status } = value;
  if (!isRecord(metadata) || typeof metadata.name !== 'string' || typeof metadata.uid !== 'string' || typeof metadata.resourceVersion !== 'string') {
    throw bad('metadata.name, uid and resourceVersion must be strings');
  }
  if (!isRecord(spec) || typeof spec.request !== 'string' || typeof spec.signerName !== 'string') throw bad('spec.request and spec.signerName must be strings');
  if (status !== undefined && status !== null) {
    if (!isRecord(status)) throw bad('status must be an object');
    if (status.certificate !== undefined && typeof status.certificate !== 'string') throw bad('status.certificate must be a string');
    if (status.conditions !== undefined && status.conditions !== null) {
      if (!Array.isArray(status.conditions) || !status.conditions.every((c) => isRecord(c) && typeof c.type === 'string'))
        throw bad('status.conditions must be a list of conditions');
    }
  }
  return value as unknown as CsrObject;
}

export type WatchEvent =
  { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: CsrObject } | { type: 'BOOKMARK'; resourceVersion: string } | { type: 'ERROR'; code: number | undefined };

/** One line of a CSR watch as a typed event; MalformedObjectError for anything else. */
export function parseWatchEvent(line: string): WatchEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new MalformedObjectError('a watch event is not JSON');
  }
  if (!isRecord(value) || typeof value.type !== 'string') throw new MalformedObjectError('a watch event has no type');
  const object = value.object;
  switch (value.type) {
    case 'BOOKMARK': {
      const rv = isRecord(object) && isRecord(object.metadata) ? object.metadata.resourceVersion : undefined;
      if (typeof rv !== 'string') throw new MalformedObjectError('a BOOKMARK event has no resourceVersion');
      return { type: 'BOOKMARK', resourceVersion: rv };
    }
    case 'ERROR':
      return { type: 'ERROR', code: isRecord(object) && typeof object.code === 'number' ? object.code : undefined };
    case 'ADDED':
    case 'MODIFIED':
    case 'DELETED':
      return { type: value.type, object: checkCsrObject(object, `a ${value.type} watch event`) };
    default:
      throw new MalformedObjectError(`a watch event has the unknown type ${JSON.stringify(value.type.slice(0, 20))}`);
  }
}
