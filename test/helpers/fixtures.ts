// Well-formed inputs for tests that need a token, a pin or an endpoint but no cluster.
// None of them is a credential of any real cluster.

export const TOKEN_ID = 'abcdef';
export const TOKEN_SECRET = '0123456789abcdef';
/** A well-formed bootstrap token: `TOKEN_ID.TOKEN_SECRET`. */
export const TOKEN = `${TOKEN_ID}.${TOKEN_SECRET}`;
/** A well-formed CA cert hash (`sha256:` and 64 hex digits) that matches no certificate. */
export const PIN = `sha256:${'a'.repeat(64)}`;
export const ENDPOINT = '10.0.0.1:6443';
