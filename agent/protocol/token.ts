import { randomBytes } from 'node:crypto';
import { TOKEN_PATTERN, tokenProblem } from '../contract/index.js';

export { TOKEN_ID_PATTERN, TOKEN_PATTERN } from '../contract/index.js';
import { UsageError } from '../errors.js';

// docs/protocol.md §1.
export const EXTRA_GROUP_PATTERN = /^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$/;
export const TOKEN_SECRET_TYPE = 'bootstrap.kubernetes.io/token';
export const TOKEN_SECRET_PREFIX = 'bootstrap-token-';

export interface BootstrapToken {
  id: string;
  secret: string;
}

/** True if `value` has the form `<id>.<secret>`. */
export function isToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

/**
 * Parses `<id>.<secret>`. The error names the expected form and, when the id part is
 * well-formed, the id; it never echoes the secret.
 */
export function parseToken(value: string, what = 'token'): BootstrapToken {
  const m = TOKEN_PATTERN.exec(value);
  if (!m) throw new UsageError(tokenProblem(value, what)!, 'Copy the token again from "kubejoin token create" or "kubeadm token create".');
  return { id: m[1]!, secret: m[2]! };
}

export function formatToken(token: BootstrapToken): string {
  return `${token.id}.${token.secret}`;
}

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Random string from [0-9a-z] using a CSPRNG without modulo bias (bytes >= 252 are rejected). */
export function randomTokenString(length: number, random: (n: number) => Uint8Array = randomBytes): string {
  let out = '';
  while (out.length < length) {
    for (const byte of random(length * 2)) {
      if (byte >= 252) continue;
      out += ALPHABET[byte % 36];
      if (out.length === length) break;
    }
  }
  return out;
}

export function generateToken(): BootstrapToken {
  return { id: randomTokenString(6), secret: randomTokenString(16) };
}

export function tokenSecretName(id: string): string {
  return `${TOKEN_SECRET_PREFIX}${id}`;
}
