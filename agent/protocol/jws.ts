import { createHmac, timingSafeEqual } from 'node:crypto';

// docs/protocol.md §2.3: JWS compact serialization, HS256, detached payload.

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** The exact protected header kube-controller-manager's BootstrapSigner writes. */
export function jwsHeader(tokenId: string): string {
  return `{"alg":"HS256","kid":${JSON.stringify(tokenId)}}`;
}

/** Detached JWS (`header..signature`) over `content`, keyed by the token secret only. */
export function signDetached(content: string, tokenId: string, tokenSecret: string): string {
  const header = b64url(jwsHeader(tokenId));
  const mac = createHmac('sha256', Buffer.from(tokenSecret, 'utf8'))
    .update(`${header}.${b64url(content)}`)
    .digest();
  return `${header}..${b64url(mac)}`;
}

/** Recomputes the detached JWS and compares in constant time. */
export function verifyDetached(content: string, detached: string, tokenId: string, tokenSecret: string): boolean {
  const expected = Buffer.from(signDetached(content, tokenId, tokenSecret), 'utf8');
  const actual = Buffer.from(detached, 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
