import type { Phase } from '../contract/index.js';
import type { PinSet } from '../protocol/pin.js';
import type { BootstrapToken } from '../protocol/token.js';
import { isSkewed, skewWarning } from '../protocol/clock-skew.js';
import { sharedAgent } from '../transport/http.js';
import { describeRoute, type ProxyConfig } from '../transport/proxy.js';
import { discoverFromFile } from './file.js';
import { fetchSignedClusterInfo, refetchVerified, validateClusterCA, type ClusterInfo, type PinnedCluster, type PollOptions } from './token.js';
import { checkSignature } from './signature.js';
import { missing, verifiedCluster, type VerifiedCluster } from './verified.js';

// Discovery's one entry point (docs/protocol.md §3): find the cluster's server and CA and
// establish that they can be trusted, by token (cluster-info + JWS + pin + verified re-fetch)
// or from a discovery file. Discovery returns its steps and, once they all ran, the one
// VerifiedCluster; it knows nothing of who runs the steps (the join engine runs each as a
// phase, with its events). Both mechanisms have the same four steps, so a step list reads
// the same whichever was used.

export { assertVerified, type VerifiedCluster } from './verified.js';
export { checkPinnedCA, type PinnedCA, type PinRule } from './pins.js';
export { getClusterInfo, parseClusterInfo, type ClusterInfoAnswer, type ClusterInfoData } from './cluster-info.js';
export { validateClusterCA, validateClusterInfoSignature } from './token.js';
export { checkSignature, wrongSecret } from './signature.js';

export type DiscoverySource =
  { kind: 'token'; endpoint: string; token: BootstrapToken; pins: PinSet; unsafeSkipCaVerification: boolean } | { kind: 'file'; source: string; pins: PinSet };

export type DiscoveryPhase = Extract<Phase, 'discover' | 'verify-signature' | 'pin-ca' | 'verify-server'>;
export type Progress = (message: string, attempt?: number) => void;

/** One step: runs, reports progress, and returns its one-line summary. */
export interface DiscoveryStep {
  phase: DiscoveryPhase;
  run(progress: Progress): Promise<string>;
}

export interface Discovery {
  steps: readonly DiscoveryStep[];
  /** The verified cluster, once every step has run. */
  result(): VerifiedCluster;
}

export interface DiscoveryOptions {
  /** The caller's deadline and cancel: ends every request and wait. */
  signal: AbortSignal;
  /** How long discovery may keep retrying (--discovery-timeout). */
  timeoutMs: number;
  /** Bound on one request where discovery does not poll (file discovery). */
  requestTimeoutMs: number;
  /** Egress proxy for every connection (undefined: direct). */
  proxy: ProxyConfig | undefined;
  /** Delay before attempt n of a poll (tests shorten it). */
  delayMs?: (attempt: number) => number;
}

export function planDiscovery(source: DiscoverySource, opts: DiscoveryOptions): Discovery {
  return source.kind === 'token' ? tokenDiscovery(source, opts) : discoverFromFile(source, opts);
}

/** How long the bootstrap signer takes at most, in practice, to sign cluster-info for a new token. */
export const SIGNER_GRACE_MS = 15_000;

/**
 * One retry's progress line: the reason, then the attempt and the time left. The reason part
 * stays the same while nothing changes, so a renderer can fold repeats (agent/cli/render/fold.ts).
 */
export function retryLine(reason: string, attempt: number, leftMs: number): string {
  const s = Math.max(0, Math.round(leftMs / 1000));
  const left = s >= 60 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s` : `${s} s`;
  return `${reason}; retrying (attempt ${attempt}, ${left} left)`;
}

/** Past the signer's grace, a missing signature most likely means a mistyped or expired token id. */
function unsignedReason(endpoint: string, tokenId: string, reason: string, waitedMs: number): string {
  if (waitedMs < SIGNER_GRACE_MS) return reason;
  return (
    `cluster-info still has no signature for token id "${tokenId}" after ${Math.round(SIGNER_GRACE_MS / 1000)} s: ` +
    `the token id may be mistyped, or the token expired or deleted (check with "kubejoin doctor ${endpoint} --token-file <file>")`
  );
}

function tokenDiscovery(source: Extract<DiscoverySource, { kind: 'token' }>, opts: DiscoveryOptions): Discovery {
  const { endpoint, token, pins } = source;
  let deadline = 0;
  let started = 0;
  let info: ClusterInfo | undefined;
  let pinned: PinnedCluster | undefined;
  let verified: VerifiedCluster | undefined;
  const poll = (progress: Progress, pem?: string): PollOptions => ({
    agent: pem === undefined ? sharedAgent({ insecure: true, proxy: opts.proxy }) : sharedAgent({ ca: pem, proxy: opts.proxy }),
    signal: opts.signal,
    timeoutMs: Math.max(1, deadline - Date.now()),
    onRetry: (reason, attempt, kind) =>
      progress(
        retryLine(kind === 'unsigned' ? unsignedReason(endpoint, token.id, reason, Date.now() - started) : reason, attempt, deadline - Date.now()),
        attempt,
      ),
    ...(opts.delayMs ? { delayMs: opts.delayMs } : {}),
  });
  const steps: DiscoveryStep[] = [
    {
      phase: 'discover',
      async run(p) {
        started = Date.now();
        deadline = started + opts.timeoutMs;
        const route = describeRoute(opts.proxy, endpoint);
        if (route) p(route);
        info = await fetchSignedClusterInfo(endpoint, token.id, poll(p));
        // The Date header is unauthenticated: a warning and an explanation, never a decision.
        if (isSkewed(info.clock)) p(skewWarning(info.clock));
        return `cluster-info from ${endpoint} carries a signature for token id "${token.id}"`;
      },
    },
    {
      phase: 'verify-signature',
      async run() {
        // A signature that does not verify is told apart (wrong secret or changed on the way)
        // by reading cluster-info again over the pin-verified connection (./signature.ts).
        await checkSignature(endpoint, info!, token, pins, {
          agentFor: (ca) => sharedAgent({ ca, proxy: opts.proxy }),
          timeoutMs: Math.max(1, Math.min(opts.requestTimeoutMs, deadline - Date.now())),
          signal: opts.signal,
        });
        return 'the JWS signature matches the token';
      },
    },
    {
      phase: 'pin-ca',
      async run(p) {
        pinned = validateClusterCA(info!.kubeconfig, pins, source.unsafeSkipCaVerification);
        if (!pinned.matchedPin) p('WARNING: CA pinning skipped (--discovery-token-unsafe-skip-ca-verification): the cluster identity rests on the token alone');
        return pinned.matchedPin ? `the cluster CA matches ${pinned.matchedPin}` : 'skipped (unsafe)';
      },
    },
    {
      phase: 'verify-server',
      async run(p) {
        // The process-wide agent for this CA: the TLS bootstrap that follows reuses its connection.
        await refetchVerified(endpoint, token.id, info!, poll(p, pinned!.caPem));
        verified = verifiedCluster({
          endpoint,
          server: pinned!.server,
          caPem: pinned!.caPem,
          cas: pinned!.certs,
          matchedPin: pinned!.matchedPin,
          proxy: opts.proxy,
          ...(info!.clock ? { clock: info!.clock } : {}),
        });
        return pinned!.matchedPin
          ? `${endpoint} is verified by the pinned CA; using ${pinned!.server}`
          : `${endpoint} is verified by the CA in the signed cluster-info; using ${pinned!.server}`;
      },
    },
  ];
  return { steps, result: () => verified ?? missing() };
}
