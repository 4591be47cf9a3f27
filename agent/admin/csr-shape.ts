import { createPublicKey } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { Extensions, id_ce_subjectAltName } from '@peculiar/asn1-x509';

// The kubelet client CSR's shape, as kube-controller-manager's csrapproving checks it before
// it approves one (ValidateKubeletClientCSR), plus the key types the kubelet makes. The API
// server has already checked the request's self-signature when the CSR was created.

const OID_CN = '2.5.4.3';
const OID_O = '2.5.4.10';
const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';
const ALLOWED_USAGES = new Set(['digital signature', 'key encipherment', 'client auth']);
const NODE_PREFIX = 'system:node:';

export type CsrShape = { ok: true; nodeName: string } | { ok: false; problem: string };

/** The node name a kubelet client CSR asks for, or what makes it something else. */
export function kubeletClientShape(requestB64: string | undefined, usages: readonly string[] | undefined): CsrShape {
  const bad = (problem: string): CsrShape => ({ ok: false, problem });
  const pem = Buffer.from(requestB64 ?? '', 'base64').toString('utf8');
  const b64 = /-----BEGIN CERTIFICATE REQUEST-----([\s\S]+?)-----END CERTIFICATE REQUEST-----/.exec(pem)?.[1];
  if (!b64) return bad('its request is not a PEM certificate request');
  let csr: CertificationRequest;
  try {
    csr = AsnConvert.parse(Buffer.from(b64.replace(/\s+/g, ''), 'base64'), CertificationRequest);
  } catch {
    return bad('its request is not a parseable PKCS#10 certificate request');
  }
  const info = csr.certificationRequestInfo;
  const cn: string[] = [];
  const o: string[] = [];
  for (const set of info.subject) {
    for (const atv of set) {
      if (atv.type === OID_CN) cn.push(atv.value.toString());
      else if (atv.type === OID_O) o.push(atv.value.toString());
    }
  }
  if (o.length !== 1 || o[0] !== 'system:nodes') return bad(`its subject's organization is ${JSON.stringify(o)}, not exactly ["system:nodes"]`);
  if (cn.length !== 1 || !cn[0]!.startsWith(NODE_PREFIX) || cn[0]!.length === NODE_PREFIX.length) {
    return bad(`its common name ${JSON.stringify(cn.join(','))} is not system:node:<name>`);
  }
  for (const attr of info.attributes) {
    if (attr.type !== OID_EXTENSION_REQUEST) continue;
    for (const value of attr.values) {
      const exts = AsnConvert.parse(value, Extensions);
      if (exts.some((e) => e.extnID === id_ce_subjectAltName)) return bad('it asks for subject alternative names (a kubelet client certificate has none)');
    }
  }
  const u = usages ?? [];
  if (!u.includes('client auth') || u.some((x) => !ALLOWED_USAGES.has(x))) {
    return bad(`its usages ${JSON.stringify(u)} are not a kubelet client's (client auth, digital signature, key encipherment)`);
  }
  const key = createPublicKey({ key: Buffer.from(AsnConvert.serialize(info.subjectPKInfo)), format: 'der', type: 'spki' });
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const rsaBits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  const keyOk = (key.asymmetricKeyType === 'ec' && (curve === 'prime256v1' || curve === 'secp384r1')) || (key.asymmetricKeyType === 'rsa' && rsaBits >= 2048);
  if (!keyOk)
    return bad(
      `its key (${key.asymmetricKeyType ?? 'unknown'}${curve ? ` ${curve}` : rsaBits ? ` ${rsaBits} bits` : ''}) is not ECDSA P-256/P-384 or RSA of 2048 bits or more`,
    );
  return { ok: true, nodeName: cn[0]!.slice(NODE_PREFIX.length) };
}
