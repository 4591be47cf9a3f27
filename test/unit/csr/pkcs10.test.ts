import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { sign } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Attributes, CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { generateClientKey } from '../../../agent/csr/key.js';
import { createCsrPem, nodeSubject, parseCsrPem } from '../../../agent/csr/pkcs10.js';
import { TAG, oid, oidText, tlv } from '../../../agent/csr/der.js';

// docs/protocol.md §4.2: the request written by our own DER writer is the one the ASN.1
// framework wrote before, byte for byte, and OpenSSL verifies and reads it.

const der = (pem: string): Buffer => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
const haveOpenssl = (() => {
  try {
    execFileSync('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
})();

describe('PKCS#10 request', () => {
  it('is byte for byte what @peculiar/asn1-csr writes for the same key, subject and signature', () => {
    const key = generateClientKey();
    const subject = { commonName: 'system:node:wörker-1', organizations: ['system:nodes', 'extra'] };
    const mine = der(createCsrPem(key, subject));
    const rdn = (type: string, value: string): RelativeDistinguishedName =>
      new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: value }) })]);
    const info = new CertificationRequestInfo({
      version: 0,
      subject: new Name([...subject.organizations.map((o) => rdn('2.5.4.10', o)), rdn('2.5.4.3', subject.commonName)]),
      subjectPKInfo: AsnConvert.parse(key.spki, SubjectPublicKeyInfo),
      attributes: new Attributes(),
    });
    const parsed = AsnConvert.parse(mine, CertificationRequest);
    assert.deepEqual(Buffer.from(AsnConvert.serialize(info)), Buffer.from(parsed.certificationRequestInfoRaw!));
    assert.deepEqual(Buffer.from(AsnConvert.serialize(parsed)), mine);
  });

  it('reads back: subject, public key, valid signature; a changed byte breaks the signature', () => {
    const key = generateClientKey();
    const pem = createCsrPem(key, nodeSubject('n1'));
    const parsed = parseCsrPem(pem);
    assert.deepEqual(parsed.subject, nodeSubject('n1'));
    assert.ok(parsed.spki.equals(key.spki));
    assert.equal(parsed.signatureValid, true);
    const bytes = der(pem);
    const at = bytes.indexOf(Buffer.from('system:node:n1')) + 12;
    bytes[at] = 'm'.charCodeAt(0);
    const tampered = parseCsrPem(`-----BEGIN CERTIFICATE REQUEST-----\n${bytes.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`);
    assert.equal(tampered.subject.commonName, 'system:node:m1');
    assert.equal(tampered.signatureValid, false);
  });

  it('refuses malformed DER (truncated, trailing bytes, long-form short lengths)', () => {
    const bytes = der(createCsrPem(generateClientKey(), nodeSubject('n')));
    const pem = (b: Buffer): string => `-----BEGIN CERTIFICATE REQUEST-----\n${b.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    assert.throws(() => parseCsrPem(pem(bytes.subarray(0, bytes.length - 1))), /truncated DER/);
    assert.throws(() => parseCsrPem(pem(Buffer.concat([bytes, Buffer.from([0])]))), /trailing data/);
    assert.throws(() => parseCsrPem(pem(Buffer.from([0x30, 0x81, 0x03, 2, 1, 0]))), /non-minimal DER length/);
    assert.throws(() => parseCsrPem('nothing'), /not a PEM certificate request/);
  });

  it('OIDs both ways, multi-byte arcs included', () => {
    for (const o of ['1.2.840.10045.4.3.2', '2.5.4.3', '2.999.1', '1.3.6.1.4.1.311.21.20']) assert.equal(oidText(oid(o).subarray(2)), o);
    assert.deepEqual(oid('1.2.840.10045.4.3.2'), Buffer.from('06082a8648ce3d040302', 'hex'));
  });

  it("reads Go's PrintableString subjects (a kubelet's own request) and BMPString", () => {
    const key = generateClientKey();
    const atv = (type: string, tag: number, value: Buffer): Buffer => tlv(TAG.set, tlv(TAG.sequence, oid(type), tlv(tag, value)));
    const info = tlv(
      TAG.sequence,
      tlv(TAG.integer, Buffer.from([0])),
      tlv(
        TAG.sequence,
        atv('2.5.4.10', TAG.printable, Buffer.from('system:nodes')),
        atv('2.5.4.3', TAG.bmp, Buffer.from('system:node:go', 'utf16le').swap16()),
      ),
      key.spki,
      Buffer.from([0xa0, 0]),
    );
    const csr = tlv(
      TAG.sequence,
      info,
      tlv(TAG.sequence, oid('1.2.840.10045.4.3.2')),
      tlv(TAG.bitString, Buffer.from([0]), sign('sha256', info, key.privateKey)),
    );
    const parsed = parseCsrPem(`-----BEGIN CERTIFICATE REQUEST-----\n${csr.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`);
    assert.deepEqual(parsed.subject, nodeSubject('go'));
    assert.equal(parsed.signatureValid, true);
    assert.ok(parsed.spki.equals(key.spki));
  });

  it('openssl req -verify accepts it and reads the subject and key back', { skip: haveOpenssl ? false : 'needs openssl' }, () => {
    const key = generateClientKey();
    const pem = createCsrPem(key, nodeSubject('ossl'));
    const text = execFileSync('openssl', ['req', '-verify', '-noout', '-text', '-nameopt', 'RFC2253'], {
      input: pem,
      stdio: ['pipe', 'pipe', 'pipe'],
    }).toString();
    assert.match(text, /Subject: CN=system:node:ossl,O=system:nodes/);
    assert.match(text, /Public Key Algorithm: id-ecPublicKey[\s\S]*NIST CURVE: P-256/);
    assert.match(text, /Attributes:\s*\n\s*\(none\)|Attributes:\s*\n\s*a0:00/);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    const pub = execFileSync('openssl', ['req', '-noout', '-pubkey'], { input: pem }).toString();
    assert.equal(pub, key.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    // OpenSSL's own DER of what it parsed is our bytes, byte for byte.
    assert.deepEqual(execFileSync('openssl', ['req', '-outform', 'DER'], { input: pem }), der(pem));
    const verified = execFileSync('bash', ['-c', 'openssl req -verify -noout 2>&1'], { input: pem }).toString();
    assert.match(verified, /verify OK|Certificate request self-signature verify OK/);
  });
});
