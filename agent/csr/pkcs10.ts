import { sign, verify, createPublicKey } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Attributes, CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { AlgorithmIdentifier, AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import type { ClientKey } from './key.js';

// PKCS#10 for the kubelet client certificate: subject O=system:nodes, CN=system:node:<name>,
// no SANs, ECDSA with SHA-256 (docs/protocol.md §4.2).

const OID_CN = '2.5.4.3';
const OID_O = '2.5.4.10';
const OID_ECDSA_SHA256 = '1.2.840.10045.4.3.2';

export interface Subject {
  commonName: string;
  organizations: string[];
}

export function nodeSubject(nodeName: string): Subject {
  return { commonName: `system:node:${nodeName}`, organizations: ['system:nodes'] };
}

function rdn(type: string, value: string): RelativeDistinguishedName {
  return new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) })]);
}

/** The CSR as PEM text, signed with `key`. (Go's order: O before CN.) */
export function createCsrPem(key: ClientKey, subject: Subject): string {
  const info = new CertificationRequestInfo({
    version: 0,
    subject: new Name([...subject.organizations.map((o) => rdn(OID_O, o)), rdn(OID_CN, subject.commonName)]),
    subjectPKInfo: AsnConvert.parse(key.spki, SubjectPublicKeyInfo),
    attributes: new Attributes(),
  });
  const signature = sign('sha256', Buffer.from(AsnConvert.serialize(info)), key.privateKey);
  const csr = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: OID_ECDSA_SHA256 }),
    signature: new Uint8Array(signature).buffer,
  });
  const b64 = Buffer.from(AsnConvert.serialize(csr)).toString('base64');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE REQUEST-----\n`;
}

export interface ParsedCsr {
  subject: Subject;
  spki: Buffer;
  /** The request's self-signature verifies with its own public key. */
  signatureValid: boolean;
}

/** Parses a CSR PEM (as found in an existing CSR object's spec.request). */
export function parseCsrPem(pem: string): ParsedCsr {
  const b64 = /-----BEGIN CERTIFICATE REQUEST-----([\s\S]+?)-----END CERTIFICATE REQUEST-----/.exec(pem)?.[1];
  if (!b64) throw new Error('not a PEM certificate request');
  const csr = AsnConvert.parse(Buffer.from(b64.replace(/\s+/g, ''), 'base64'), CertificationRequest);
  const info = csr.certificationRequestInfo;
  const subject: Subject = { commonName: '', organizations: [] };
  for (const set of info.subject) {
    for (const atv of set) {
      const value = atv.value.toString();
      if (atv.type === OID_CN) subject.commonName = value;
      else if (atv.type === OID_O) subject.organizations.push(value);
    }
  }
  const spki = Buffer.from(AsnConvert.serialize(info.subjectPKInfo));
  const raw = csr.certificationRequestInfoRaw ?? AsnConvert.serialize(info);
  let signatureValid = false;
  try {
    signatureValid = verify('sha256', Buffer.from(raw), createPublicKey({ key: spki, format: 'der', type: 'spki' }), Buffer.from(csr.signature));
  } catch {
    signatureValid = false;
  }
  return { subject, spki, signatureValid };
}
