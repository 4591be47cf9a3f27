import type { X509Certificate } from 'node:crypto';
import type { ClockReading } from '../protocol/clock-skew.js';
import type { ProxyConfig } from '../transport/proxy.js';

// A verified cluster is a value, made in one place (docs/protocol.md §3): only discovery
// (token: cluster-info + JWS + pin + verified re-fetch; or a discovery file + verified
// server) turns an endpoint into one. Everything that sends a secret takes one, never a URL
// or a bundle: its CA set is the one the JWS covers and a pin selected (or the discovery
// file's), never an unauthenticated bundle.

declare const verified: unique symbol;

export interface VerifiedCluster {
  readonly [verified]: true;
  /** The endpoint discovery was given (host:port), or the discovery file's server. */
  readonly endpoint: string;
  /** The API server URL everything after discovery talks to. */
  readonly server: string;
  /** PEM CA bundle: from here on the only trust. */
  readonly caPem: string;
  readonly cas: readonly X509Certificate[];
  /** The pin that selected the CA (undefined: pinning skipped, or a discovery file without pins). */
  readonly matchedPin: string | undefined;
  /** How the connections reach the server (undefined: directly). */
  readonly proxy: ProxyConfig | undefined;
  /** The device clock against the server's (its Date header), when measured. */
  readonly clock?: ClockReading;
}

const made = new WeakSet<object>();

type Fields = Omit<VerifiedCluster, typeof verified>;

/** Only discovery calls this, after the server verified against the CA set. */
export function verifiedCluster(fields: Fields): VerifiedCluster {
  const value = Object.freeze({ ...fields }) as VerifiedCluster;
  made.add(value);
  return value;
}

/** Throws unless `cluster` was made by discovery (a cast object literal is not one). */
export function assertVerified(cluster: VerifiedCluster): void {
  if (!made.has(cluster)) throw new Error('refusing to send a secret: the cluster was not verified by discovery');
}

/** For a caller that asks for the result before every step ran. */
export function missing(): never {
  throw new Error('discovery has not finished: the cluster is not verified');
}
