import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

// docs/protocol.md §4.1: ECDSA P-256 client key, PEM (SEC1 "EC PRIVATE KEY" like the kubelet).

export interface ClientKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** PKIX SubjectPublicKeyInfo DER of the public key. */
  spki: Buffer;
  /** PEM of the private key. A secret: never logged. */
  pem: string;
}

export function generateClientKey(): ClientKey {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return fromPrivateKey(privateKey);
}

export function loadClientKey(pem: string): ClientKey {
  return fromPrivateKey(createPrivateKey(pem));
}

function fromPrivateKey(privateKey: KeyObject): ClientKey {
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('the stored client key is not an ECDSA P-256 key');
  }
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKey,
    spki: publicKey.export({ type: 'spki', format: 'der' }),
    pem: privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
  };
}
