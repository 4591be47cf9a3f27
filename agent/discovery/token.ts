import { KubejoinError } from '../errors.js';
import { BodyLimitError, isTlsVerificationError, LIMITS, request, sharedAgent, TransportError, type Response, type TrustAgent } from '../transport/http.js';
import { GaveUp, isTransientStatus, retryAfterMs, retrying } from '../transport/retry.js';
import { verifyDetached } from '../protocol/jws.js';
import { clusterOf, type ClusterEntry } from '../protocol/kubeconfig.js';
import { CLUSTER_INFO_PATH, JWS_KEY_PREFIX, KUBECONFIG_KEY } from '../protocol/cluster-info.js';
import type { PinSet } from '../protocol/pin.js';
import { checkPinnedCA, type PinnedCA } from './pins.js';
import { certificateTimeHint, clockFailure } from './clock.js';
import { describeRoute } from '../transport/proxy.js';
import { isSkewed, readServerDate, skewWarning, type ClockReading } from '../protocol/clock-skew.js';
import type { DiscoveredCluster, DiscoveryRun, DiscoverySource } from './index.js';

import type { BootstrapToken } from '../protocol/token.js';

// Token discovery, docs/protocol.md §3, top to bottom: insecure fetch (waiting for our
// signature), JWS check, CA pin, verified re-fetch, byte-equal compare.

/** Token discovery as four phases: discover, verify-signature, pin-ca, verify-server. */
export async function discoverWithToken(source: Extract<DiscoverySource, { kind: 'token' }>, run: DiscoveryRun): Promise<DiscoveredCluster> {
  const { endpoint, token, pins } = source;
  const { clock, abortable } = run;
  const deadline = Date.now() + run.timeoutMs;
  const poll = (progress: (message: string, attempt?: number) => void, agent: TrustAgent): PollOptions => ({
    agent,
    signal: run.signal,
    timeoutMs: Math.max(1, deadline - Date.now()),
    onRetry: (reason, attempt) => progress(`${reason}; retrying (attempt ${attempt})`, attempt),
    ...(run.delayMs ? { delayMs: run.delayMs } : {}),
  });
  const insecure = sharedAgent({ insecure: true, proxy: run.proxy });
  const info = await clock.run(
    'discover',
    async (p) => {
      const route = describeRoute(run.proxy, endpoint);
      if (route) p(route);
      const found = await abortable(fetchSignedClusterInfo(endpoint, token.id, poll(p, insecure)));
      // The Date header is unauthenticated: a warning and an explanation, never a decision.
      if (isSkewed(found.clock)) p(skewWarning(found.clock));
      return found;
    },
    () => `cluster-info from ${endpoint} carries a signature for token id "${token.id}"`,
  );
  await clock.run(
    'verify-signature',
    async () => validateClusterInfoSignature(info, token),
    () => 'the JWS signature matches the token',
  );
  const pinned = await clock.run(
    'pin-ca',
    async (p) => {
      const result = validateClusterCA(info.kubeconfig, pins, source.unsafeSkipCaVerification);
      if (!result.matchedPin) p('WARNING: CA pinning skipped (--discovery-token-unsafe-skip-ca-verification): the cluster identity rests on the token alone');
      return result;
    },
    (r) => (r.matchedPin ? `the cluster CA matches ${r.matchedPin}` : 'skipped (unsafe)'),
  );
  // The shared agent for this CA: the TLS bootstrap that follows reuses its connection.
  const verified = sharedAgent({ ca: pinned.caPem, proxy: run.proxy });
  await clock.run(
    'verify-server',
    (p) => abortable(refetchVerified(endpoint, token.id, info, poll(p, verified))),
    () => `${endpoint} is verified by the pinned CA; using ${pinned.server}`,
  );
  return { server: pinned.server, caPem: pinned.caPem, cas: pinned.certs, ...(info.clock ? { clock: info.clock } : {}) };
}

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
  /** Told about each wait: why, and which attempt comes next. */
  onRetry?: (reason: string, attempt: number) => void;
  /** Delay before attempt n (n >= 2). kubeadm waits 5 s; we start faster and back off to 5 s. */
  delayMs?: (attempt: number) => number;
  /** A transport error that must end the wait at once (a TLS verification failure). */
  fatal?: (err: TransportError) => KubejoinError | undefined;
}

export function clusterInfoUrl(endpoint: string): string {
  return `https://${endpoint}${CLUSTER_INFO_PATH}`;
}

type Attempt = { done: true; info: ClusterInfo } | { done: false; reason: string; kind: 'unreachable' | 'unprepared' | 'unsigned'; waitMs?: number };

function readAttempt(res: Response, tokenId: string): Attempt {
  if (res.status === 404 || res.status === 403 || res.status === 401) {
    return {
      done: false,
      kind: 'unprepared',
      reason:
        res.status === 404
          ? 'the ConfigMap kube-public/cluster-info does not exist'
          : `anonymous read of kube-public/cluster-info is not allowed (HTTP ${res.status})`,
    };
  }
  if (isTransientStatus(res.status)) {
    const after = retryAfterMs(res.headers);
    return {
      done: false,
      kind: 'unreachable',
      reason: `the server answered HTTP ${res.status}${after !== undefined ? ` (Retry-After ${Math.round(after / 1000)} s)` : ''}`,
      ...(after !== undefined ? { waitMs: after } : {}),
    };
  }
  if (res.status !== 200) return { done: false, kind: 'unreachable', reason: `the server answered HTTP ${res.status}` };
  let data: Record<string, string> | undefined;
  try {
    data = (JSON.parse(res.body) as { data?: Record<string, string> } | null)?.data;
  } catch {
    return { done: false, kind: 'unreachable', reason: 'the server answered with something that is not JSON' };
  }
  const kubeconfig = data?.[KUBECONFIG_KEY];
  if (typeof kubeconfig !== 'string') {
    return { done: false, kind: 'unprepared', reason: `kube-public/cluster-info has no "${KUBECONFIG_KEY}" key` };
  }
  const signature = data?.[`${JWS_KEY_PREFIX}${tokenId}`];
  if (typeof signature !== 'string') {
    return { done: false, kind: 'unsigned', reason: `no JWS signature for token id "${tokenId}" in cluster-info yet` };
  }
  return { done: true, info: { kubeconfig, signature } };
}

/**
 * GETs cluster-info from `endpoint` until it carries a signature for `tokenId` or the
 * discovery deadline comes (every request in flight is aborted then); the timeout error
 * says why it kept waiting (the last reason, naming the stage that stalled). Transient
 * answers and failures are retried with backoff (Retry-After honoured).
 */
export async function fetchSignedClusterInfo(endpoint: string, tokenId: string, opts: PollOptions): Promise<ClusterInfo> {
  const deadline = Date.now() + opts.timeoutMs;
  const signal = opts.signal ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]) : AbortSignal.timeout(opts.timeoutMs);
  let last: Exclude<Attempt, { done: true }> = { done: false, kind: 'unreachable', reason: `cannot reach https://${endpoint}: no attempt finished` };
  const once = async (): Promise<Attempt> => {
    try {
      const res = await request({
        url: clusterInfoUrl(endpoint),
        agent: opts.agent,
        timeoutMs: Math.max(1, Math.min(REQUEST_TIMEOUT_MS, deadline - Date.now())),
        signal,
        limit: LIMITS.clusterInfo,
        what: `cluster-info from ${endpoint}`,
      });
      const result = readAttempt(res, tokenId);
      if (!result.done) return result;
      const reading = readServerDate(res.date);
      return reading ? { done: true, info: { ...result.info, clock: reading } } : result;
    } catch (err) {
      if (err instanceof BodyLimitError) {
        // Nothing verified yet: an oversized answer is an untrusted server (docs/protocol.md §7).
        throw new KubejoinError('untrusted-cluster', `${err.message} (a real cluster-info is a few KiB)`, {
          hint: 'Check the endpoint: this is not a Kubernetes API server answering as one should.',
        });
      }
      if (!(err instanceof TransportError)) throw err;
      const fatal = opts.fatal?.(err);
      if (fatal) throw fatal;
      // The deadline cut an attempt short: what the server said before (no signature yet, not
      // prepared) explains the timeout better than the stage the last request was in.
      if (signal.aborted && last.kind !== 'unreachable') return last;
      return { done: false, kind: 'unreachable', reason: `cannot reach https://${endpoint}: ${err.message}` };
    }
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
        onRetry: (reason, attempt) => opts.onRetry?.(reason, attempt),
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

function discoveryTimeout(endpoint: string, tokenId: string, last: Exclude<Attempt, { done: true }>, timeoutMs: number): KubejoinError {
  const after = `after ${Math.round(timeoutMs / 1000)} s of discovery`;
  switch (last.kind) {
    case 'unsigned':
      return new KubejoinError(
        'token-refused',
        `token id "${tokenId}" is invalid for this cluster or it has expired (${after}, cluster-info still has no signature for it)`,
        {
          hint: 'Create a new token with "kubejoin token create" (or "kubeadm token create") on the control plane, with the signing usage.',
        },
      );
    case 'unprepared':
      return new KubejoinError('untrusted-cluster', `the API server at ${endpoint} is not set up for token bootstrapping: ${last.reason}`, {
        hint: 'Run "kubejoin cluster prepare" and "kubejoin cluster sign" (or kubeadm\'s bootstrap-token phase) against the cluster, then join again.',
      });
    case 'unreachable':
      return new KubejoinError('timeout', `gave up ${after}: ${last.reason}`, {
        hint: 'Check the endpoint, the network path and that the API server is running; raise --discovery-timeout for slow networks.',
      });
  }
}

/** docs/protocol.md §2.3 and §3.3: recompute the detached JWS over the exact served string. */
export function validateClusterInfoSignature(info: ClusterInfo, token: BootstrapToken): void {
  if (!verifyDetached(info.kubeconfig, info.signature, token.id, token.secret)) {
    throw new KubejoinError(
      'untrusted-cluster',
      `the JWS signature of cluster-info does not match token id "${token.id}": the server cannot be trusted (or the token secret is wrong)`,
      { hint: 'Check that the token is exactly the one printed by "kubejoin token create"; if it is, someone may be intercepting the connection.' },
    );
  }
}

export interface PinnedCluster extends ClusterEntry, PinnedCA {}

/** docs/protocol.md §3.4-3.5: parse the kubeconfig and require one CA of the bundle to match a pin. */
export function validateClusterCA(kubeconfig: string, pins: PinSet, unsafeSkip: boolean): PinnedCluster {
  const cluster = clusterOf(kubeconfig, 'the cluster-info kubeconfig');
  return { ...cluster, ...checkPinnedCA(cluster.caPem, pins, 'cluster-info', !unsafeSkip, 'this cluster') };
}

/**
 * docs/protocol.md §3.6: fetch again over TLS verified against the pinned CA (normal host checks)
 * and require the kubeconfig string to be byte-equal.
 */
export async function refetchVerified(endpoint: string, tokenId: string, first: ClusterInfo, opts: PollOptions): Promise<void> {
  const second = await fetchSignedClusterInfo(endpoint, tokenId, {
    ...opts,
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
  if (second.kubeconfig !== first.kubeconfig) {
    throw new KubejoinError('untrusted-cluster', 'cluster-info changed between the unverified and the verified fetch: the server cannot be trusted');
  }
}
