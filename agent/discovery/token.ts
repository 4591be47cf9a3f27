import { KubejoinError } from '../errors.js';
import { isTlsVerificationError, TransportError, type TrustAgent } from '../transport/http.js';
import { GaveUp, retrying } from '../transport/retry.js';
import { verifyDetached } from '../protocol/jws.js';
import { clusterOf, type ClusterEntry } from '../protocol/kubeconfig.js';
import type { PinSet } from '../protocol/pin.js';
import type { BootstrapToken } from '../protocol/token.js';
import { readServerDate, type ClockReading } from '../protocol/clock-skew.js';
import { getClusterInfo, parseClusterInfo, type Freshness } from './cluster-info.js';
import { checkPinnedCA, type PinnedCA } from './pins.js';
import { certificateTimeHint, clockFailure } from './clock.js';

// Token discovery, docs/protocol.md §3, as separate steps: insecure fetch (waiting for our
// signature), JWS check, CA pin, verified re-fetch with a byte-equal compare. The join runs
// them as its four discovery phases (index.ts); the doctor runs the same steps once each.

export { clusterInfoUrl } from './cluster-info.js';

const REQUEST_TIMEOUT_MS = 10_000;

export interface ClusterInfo {
  /** The `kubeconfig` string exactly as served. */
  kubeconfig: string;
  /** The detached JWS for our token id. */
  signature: string;
  /** The device clock against the server's Date header, when it sent one. */
  clock?: ClockReading;
}

export interface PollOptions {
  agent: TrustAgent;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Told about each wait: why, which attempt comes next, and what kind of wait it is. */
  onRetry?: (reason: string, attempt: number, kind: WaitKind) => void;
  /** Delay before attempt n (n >= 2). kubeadm waits 5 s; we start faster and back off to 5 s. */
  delayMs?: (attempt: number) => number;
  /** A transport error that must end the wait at once (a TLS verification failure). */
  fatal?: (err: TransportError) => KubejoinError | undefined;
  /** Every read a quorum read; by default the first asks the API server's cache (§3.1). */
  freshOnly?: boolean;
}

export type WaitKind = 'unreachable' | 'refused' | 'unprepared' | 'unsigned';
type Waiting = { kind: WaitKind; reason: string; waitMs?: number };
type Attempt = { done: true; info: ClusterInfo } | ({ done: false } & Waiting);

/**
 * GETs cluster-info from `endpoint` until it carries a signature for `tokenId` or the
 * discovery deadline comes (every request in flight is aborted then); the timeout error
 * says why it kept waiting (the last reason, naming the stage that stalled). Transient
 * answers and failures are retried with backoff (Retry-After honoured).
 */
export async function fetchSignedClusterInfo(endpoint: string, tokenId: string, opts: PollOptions): Promise<ClusterInfo> {
  const deadline = Date.now() + opts.timeoutMs;
  const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]) : AbortSignal.timeout(opts.timeoutMs);
  let last: Waiting = { kind: 'unreachable', reason: `cannot reach https://${endpoint}: no attempt finished` };
  const read = async (freshness: Freshness): Promise<Attempt> => {
    try {
      const res = await getClusterInfo(endpoint, opts.agent, {
        timeoutMs: Math.max(1, Math.min(REQUEST_TIMEOUT_MS, deadline - Date.now())),
        signal,
        freshness,
      });
      const answer = parseClusterInfo(res);
      if (answer.kind !== 'ok') return { done: false, ...answer };
      const signature = answer.data.signatureOf(tokenId);
      if (signature === undefined) return { done: false, kind: 'unsigned', reason: `no JWS signature for token id "${tokenId}" in cluster-info yet` };
      const reading = readServerDate(res.date);
      return { done: true, info: { kubeconfig: answer.data.kubeconfig, signature, ...(reading ? { clock: reading } : {}) } };
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      const fatal = opts.fatal?.(err) ?? hostNotFound(endpoint, err);
      if (fatal) throw fatal;
      // The deadline cut an attempt short: what the server said before (no signature yet, not
      // prepared) explains the timeout better than the stage the last request was in.
      if (signal.aborted && last.kind !== 'unreachable') return { done: false, ...last };
      // Refused: nothing listens there now. An API server that is starting (kubeadm init just
      // ran, a restart) refuses for a while, so it is retried, and said as such (docs/protocol.md §3.1).
      if (err.code === 'ECONNREFUSED') {
        return {
          done: false,
          kind: 'refused',
          reason: `connection refused at ${endpoint}: nothing listens there (is the API server running, is the port right?)`,
        };
      }
      return { done: false, kind: 'unreachable', reason: `cannot reach https://${endpoint}: ${err.message}` };
    }
  };
  // The first read asks the API server's watch cache: no etcd read (docs/protocol.md §3.1). A
  // copy without our signature or without the ConfigMap may only be behind etcd, so etcd is
  // asked at once, before any wait; every later attempt reads from etcd.
  let cacheFirst = !opts.freshOnly;
  const once = async (): Promise<Attempt> => {
    if (!cacheFirst) return read('fresh');
    cacheFirst = false;
    const cached = await read('cached');
    return cached.done || (cached.kind !== 'unsigned' && cached.kind !== 'unprepared') ? cached : read('fresh');
  };
  try {
    return await retrying(
      async () => {
        const result = await once();
        if (result.done) return { done: true, value: result.info };
        last = result;
        return result;
      },
      {
        signal,
        deadline,
        onRetry: (reason, attempt) => opts.onRetry?.(reason, attempt, last.kind),
        ...(opts.delayMs ? { delayMs: opts.delayMs } : {}),
      },
    );
  } catch (err) {
    // The caller's own cancel is theirs to explain; the discovery deadline is ours.
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (err instanceof GaveUp) throw discoveryTimeout(endpoint, tokenId, last, opts.timeoutMs);
    throw err;
  }
}

/**
 * A host name that does not exist (NXDOMAIN: ENOTFOUND) ends discovery at once: retrying
 * does not make a mistyped name resolve, and a temporary DNS failure is EAI_AGAIN, which is
 * retried (docs/protocol.md §3.1).
 */
function hostNotFound(endpoint: string, err: TransportError): KubejoinError | undefined {
  if (err.code !== 'ENOTFOUND') return undefined;
  const host = endpoint.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return new KubejoinError('timeout', `the host name ${host} does not resolve (DNS: no such host), so ${endpoint} cannot be reached`, {
    hint: 'Check the spelling of the endpoint, or use the API server\'s IP address; check this device\'s DNS servers (/etc/resolv.conf, "resolvectl status").',
  });
}

function discoveryTimeout(endpoint: string, tokenId: string, last: Waiting, timeoutMs: number): KubejoinError {
  const after = `after ${Math.round(timeoutMs / 1000)} s of discovery`;
  switch (last.kind) {
    case 'unsigned':
      return new KubejoinError(
        'token-refused',
        `token id "${tokenId}" is invalid for this cluster or it has expired (${after}, cluster-info still has no signature for it)`,
        {
          hint:
            `Check the token id (the part before the dot), or run "kubejoin doctor ${endpoint} --token-file <file>" to see what the cluster knows of it; ` +
            'else create a new token with "kubejoin token create" (or "kubeadm token create") on the control plane, with the signing usage.',
        },
      );
    case 'unprepared':
      return new KubejoinError('untrusted-cluster', `the API server at ${endpoint} is not set up for token bootstrapping: ${last.reason}`, {
        hint: 'Run "kubejoin cluster prepare" and "kubejoin cluster sign" (or kubeadm\'s bootstrap-token phase) against the cluster, then join again.',
      });
    case 'refused':
      return new KubejoinError('timeout', `nothing accepted a connection at ${endpoint} (connection refused, ${after})`, {
        hint: 'Check the port (the API server listens on 6443 by default) and that the API server is running on that host.',
      });
    case 'unreachable':
      return new KubejoinError('timeout', `gave up ${after}: ${last.reason}`, {
        hint: 'Check the endpoint, the network path and that the API server is running; raise --discovery-timeout for slow networks.',
      });
  }
}

/** docs/protocol.md §2.3 and §3.3: recompute the detached JWS over the exact served string. */
export function validateClusterInfoSignature(info: { kubeconfig: string; signature: string }, token: BootstrapToken): void {
  if (!verifyDetached(info.kubeconfig, info.signature, token.id, token.secret)) {
    throw new KubejoinError(
      'untrusted-cluster',
      `the JWS signature of cluster-info does not match token id "${token.id}": the server cannot be trusted (or the token secret is wrong)`,
      { hint: 'Check that the token is exactly the one printed by "kubejoin token create"; if it is, someone may be intercepting the connection.' },
    );
  }
}

export interface PinnedCluster extends ClusterEntry, PinnedCA {}

/**
 * docs/protocol.md §3.4-3.5: parse the kubeconfig and require one CA of the bundle to match a
 * pin. `authenticated`: the JWS over it verified (then the bundle is trusted whole).
 */
export function validateClusterCA(kubeconfig: string, pins: PinSet, unsafeSkip: boolean, authenticated = true): PinnedCluster {
  const cluster = clusterOf(kubeconfig, 'the cluster-info kubeconfig');
  return { ...cluster, ...checkPinnedCA(cluster.caPem, pins, { what: 'cluster-info', pinsRequired: !unsafeSkip, authenticated, whose: 'this cluster' }) };
}

/**
 * docs/protocol.md §3.6: fetch again over TLS verified against the pinned CA (normal host checks)
 * and require the kubeconfig string to be byte-equal.
 */
export async function refetchVerified(endpoint: string, tokenId: string, first: ClusterInfo, opts: PollOptions): Promise<void> {
  const verified = (freshOnly: boolean): Promise<ClusterInfo> =>
    fetchSignedClusterInfo(endpoint, tokenId, {
      ...opts,
      freshOnly,
      fatal: (err) =>
        isTlsVerificationError(err)
          ? (clockFailure(err, first.clock, endpoint) ??
            new KubejoinError('untrusted-cluster', `the server at ${endpoint} could not be verified with the pinned CA: ${err.message}`, {
              hint:
                certificateTimeHint(err, first.clock) ??
                'The server certificate must be issued by the pinned CA and name the endpoint (IP or DNS name) you gave. If it is not, do not trust this server.',
            }))
          : undefined,
    });
  // A copy from the API server's cache may lag a change etcd already has: etcd decides (§3.6).
  let second = await verified(false);
  if (second.kubeconfig !== first.kubeconfig) second = await verified(true);
  if (second.kubeconfig !== first.kubeconfig) {
    throw new KubejoinError('untrusted-cluster', 'cluster-info changed between the unverified and the verified fetch: the server cannot be trusted');
  }
}
