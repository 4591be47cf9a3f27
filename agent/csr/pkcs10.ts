import { sign, verify, createPublicKey } from 'node:crypto';
import { TAG, children, directoryString, element, expect, oid, oidText, tlv } from './der.js';
import type { ClientKey } from './key.js';

// PKCS#10 for the kubelet client certificate: subject O=system:nodes, CN=system:node:<name>,
// no SANs, ECDSA with SHA-256 (docs/protocol.md §4.2). Written and read with der.ts.

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

/** One RDN holding one UTF8String attribute. */
function rdn(type: string, value: string): Buffer {
  return tlv(TAG.set, tlv(TAG.sequence, oid(type), tlv(TAG.utf8, Buffer.from(value, 'utf8'))));
}

/** The CSR as PEM text, signed with `key`. (Go's order: O before CN.) */
export function createCsrPem(key: ClientKey, subject: Subject): string {
  const info = tlv(
    TAG.sequence,
    tlv(TAG.integer, Buffer.from([0])),
    tlv(TAG.sequence, ...subject.organizations.map((o) => rdn(OID_O, o)), rdn(OID_CN, subject.commonName)),
    key.spki,
    Buffer.from([0xa0, 0x00]), // attributes [0] IMPLICIT SET OF Attribute: none
  );
  const signature = sign('sha256', info, key.privateKey);
  const csr = tlv(TAG.sequence, info, tlv(TAG.sequence, oid(OID_ECDSA_SHA256)), tlv(TAG.bitString, Buffer.from([0]), signature));
  const b64 = csr.toString('base64');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE REQUEST-----\n`;
}

export interface ParsedCsr {
  subject: Subject;
  spki: Buffer;
  /** The request's self-signature verifies with its own public key. */
  signatureValid: boolean;
}

/** Parses a CSR PEM (as found in an existing CSR object's spec.request). Throws when malformed. */
export function parseCsrPem(pem: string): ParsedCsr {
  const b64 = /-----BEGIN CERTIFICATE REQUEST-----([\s\S]+?)-----END CERTIFICATE REQUEST-----/.exec(pem)?.[1];
  if (!b64) throw new Error('not a PEM certificate request');
  const der = Buffer.from(b64.replace(/\s+/g, ''), 'base64');
  const csr = expect(element(der), TAG.sequence, 'CertificationRequest');
  if (csr.raw.length !== der.length) throw new Error('trailing data after the request');
  const parts = children(csr.content);
  if (parts.length !== 3) throw new Error('a request has three parts');
  const [info, alg, sig] = parts;
  // Only ECDSA with SHA-256 is verified (what this key signs with); any other algorithm: not ours.
  const algorithm = children(expect(alg, TAG.sequence, 'signatureAlgorithm').content);
  const ecdsaSha256 = algorithm.length === 1 && algorithm[0]!.tag === TAG.oid && oidText(algorithm[0]!.content) === OID_ECDSA_SHA256;
  const [version, name, spki] = children(expect(info, TAG.sequence, 'CertificationRequestInfo').content);
  expect(version, TAG.integer, 'version');
  const subject: Subject = { commonName: '', organizations: [] };
  for (const set of children(expect(name, TAG.sequence, 'subject').content)) {
    for (const atv of children(expect(set, TAG.set, 'RDN').content)) {
      const pair = children(expect(atv, TAG.sequence, 'AttributeTypeAndValue').content);
      if (pair.length !== 2) throw new Error('an attribute has a type and a value');
      const [type, value] = pair;
      const t = oidText(expect(type, TAG.oid, 'attribute type').content);
      if (t === OID_CN) subject.commonName = directoryString(value!);
      else if (t === OID_O) subject.organizations.push(directoryString(value!));
    }
  }
  const spkiDer = Buffer.from(expect(spki, TAG.sequence, 'subjectPKInfo').raw);
  const bits = expect(sig, TAG.bitString, 'signature').content;
  let signatureValid = false;
  try {
    signatureValid =
      ecdsaSha256 && bits[0] === 0 && verify('sha256', info!.raw, createPublicKey({ key: spkiDer, format: 'der', type: 'spki' }), bits.subarray(1));
  } catch {
    signatureValid = false;
  }
  return { subject, spki: spkiDer, signatureValid };
}
