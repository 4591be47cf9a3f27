import type { X509Certificate } from 'node:crypto';
import type { PhaseClock } from '../join/phase-clock.js';
import type { PinSet } from '../protocol/pin.js';
import type { BootstrapToken } from '../protocol/token.js';
import type { ClockReading } from '../protocol/clock-skew.js';
import type { ProxyConfig } from '../transport/proxy.js';
import { discoverFromFile } from './file.js';
import { discoverWithToken } from './token.js';

// Discovery's one entry point (docs/protocol.md §3): find the cluster's server and CA and
// establish that they can be trusted, by token (cluster-info + JWS + pin) or from a
// discovery file. Each mechanism runs the four discovery phases itself, so a step list
// reads the same whichever was used; both share one pin check (pins.ts).

export type DiscoverySource =
  { kind: 'token'; endpoint: string; token: BootstrapToken; pins: PinSet; unsafeSkipCaVerification: boolean } | { kind: 'file'; source: string; pins: PinSet };

/** A cluster whose server has been verified against its CA. */
export interface DiscoveredCluster {
  server: string;
  /** PEM CA bundle: from here on the only trust. */
  caPem: string;
  cas: X509Certificate[];
  /** The device clock against the server's (its Date header), when measured. */
  clock?: ClockReading;
}

/** What a mechanism needs from the join running it. */
export interface DiscoveryRun {
  clock: PhaseClock;
  /** Ends the work at the join's deadline or cancel, with the join's own error. */
  abortable: <T>(work: Promise<T>) => Promise<T>;
  signal: AbortSignal;
  /** How long discovery may keep retrying (--discovery-timeout). */
  timeoutMs: number;
  /** Bound on one request where discovery does not poll (file discovery). */
  requestTimeoutMs: number;
  /** Egress proxy for every connection of the join (undefined: direct). */
  proxy?: ProxyConfig | undefined;
  /** Delay before attempt n of a poll (tests shorten it). */
  delayMs?: (attempt: number) => number;
}

export function discover(source: DiscoverySource, run: DiscoveryRun): Promise<DiscoveredCluster> {
  switch (source.kind) {
    case 'token':
      return discoverWithToken(source, run);
    case 'file':
      return discoverFromFile(source, run);
  }
}
