import { dirname, resolve } from 'node:path';
import { KubejoinError, UsageError } from '../errors.js';
import { BodyLimitError, createAgent, isTlsVerificationError, LIMITS, request, sharedAgent, TransportError } from '../transport/http.js';
import { GaveUp, isTransientStatus, retrying, transientStatus, type Attempt } from '../transport/retry.js';
import { describeRoute, type ProxyConfig } from '../transport/proxy.js';
import { readBoundedFile, readBoundedFileSync } from '../transport/bounded-file.js';
import { isSkewed, readServerDate, skewWarning, type ClockReading } from '../protocol/clock-skew.js';
import { clusterOf, type ClusterEntry } from '../protocol/kubeconfig.js';
import { certificateTimeHint, clockFailure, readClockAnonymously } from './clock.js';
import type { Discovery, DiscoveryOptions, DiscoverySource, DiscoveryStep, Progress } from './index.js';
import { checkPinnedCA, type PinnedCA } from './pins.js';
import { missing, verifiedCluster, type VerifiedCluster } from './verified.js';

// File discovery (--discovery-file): a kubeconfig supplies server and CA. A path is read
// from disk (at most 64 KiB); an https URL is fetched with the system's trust store,
// verification explicit whatever the environment says (at most 1 MiB). No JWS check.
// Transient failures are retried until the discovery deadline.

export interface FileRun {
  /** Bound on one request. */
  timeoutMs: number;
  /** The discovery deadline (and the join's cancel): ends retries and aborts requests. */
  signal?: AbortSignal;
  proxy?: ProxyConfig | undefined;
  onRetry?: (reason: string, attempt: number) => void;
  delayMs?: (attempt: number) => number;
}

function retryOpts(opts: FileRun): Parameters<typeof retrying>[1] {
  return {
    ...(opts.signal ? { signal: opts.signal } : {}),
    onRetry: (reason, attempt) => opts.onRetry?.(`${reason}; retrying (attempt ${attempt})`, attempt),
    ...(opts.delayMs ? { delayMs: opts.delayMs } : {}),
  };
}

async function fetchDiscoveryUrl(source: string, opts: FileRun): Promise<string> {
  // The system's trust store (no CA given), through the proxy when one is set.
  const agent = createAgent({ proxy: opts.proxy });
  try {
    return await retrying<string>(async (): Promise<Attempt<string>> => {
      const res = await request({
        url: source,
        agent,
        timeoutMs: opts.timeoutMs,
        limit: LIMITS.discoveryUrl,
        what: `the discovery file ${source}`,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      if (res.status === 200) return { done: true, value: res.body };
      if (isTransientStatus(res.status)) return transientStatus(res.status, res.headers, `the discovery file ${source}`);
      throw new KubejoinError('invalid-input', `the discovery file ${source} answered HTTP ${res.status}`);
    }, retryOpts(opts));
  } catch (err) {
    if (err instanceof BodyLimitError) throw new KubejoinError('untrusted-cluster', err.message);
    if (err instanceof TransportError && isTlsVerificationError(err)) {
      throw new KubejoinError('untrusted-cluster', `the discovery file server ${source} could not be verified: ${err.message}`);
    }
    if (err instanceof GaveUp || err instanceof TransportError) {
      throw new KubejoinError('timeout', `cannot fetch the discovery file ${source}: ${err.message}`);
    }
    throw err;
  } finally {
    agent.destroy();
  }
}

export async function loadDiscoveryFile(source: string, opts: FileRun): Promise<ClusterEntry> {
  if (/^https:\/\//i.test(source)) return clusterOf(await fetchDiscoveryUrl(source, opts), `the discovery file ${source}`);
  if (/^[a-z]+:\/\//i.test(source)) {
    throw new KubejoinError('invalid-input', `the discovery file "${source}" must be a local path or an https:// URL`);
  }
  let text: string;
  try {
    text = await readBoundedFile(source, `the discovery file ${source}`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new KubejoinError('invalid-input', `cannot read the discovery file ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const base = dirname(resolve(source));
  return clusterOf(text, `the discovery file ${source}`, (p) => readBoundedFileSync(resolve(base, p), `the CA file ${p}`));
}

/**
 * Proves the server answers over TLS verified by the discovered CA (GET /version), retrying
 * transient failures; also reads the server's Date (the clock guard, docs/protocol.md §3.10).
 */
export async function verifyServer(server: string, caPem: string, opts: FileRun): Promise<ClockReading | undefined> {
  // The shared agent: the TLS bootstrap that follows reuses this connection.
  const agent = sharedAgent({ ca: caPem, proxy: opts.proxy });
  try {
    return await retrying<ClockReading | undefined>(async (): Promise<Attempt<ClockReading | undefined>> => {
      const res = await request({
        url: `${server}/version`,
        agent,
        timeoutMs: opts.timeoutMs,
        what: `${server}/version`,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      if (isTransientStatus(res.status)) return transientStatus(res.status, res.headers, `the API server ${server}`);
      return { done: true, value: readServerDate(res.date) };
    }, retryOpts(opts));
  } catch (err) {
    if (err instanceof TransportError && isTlsVerificationError(err)) {
      const reading = await readClockAnonymously(server, opts);
      const hint = certificateTimeHint(err, reading);
      throw (
        clockFailure(err, reading, server) ??
        new KubejoinError(
          'untrusted-cluster',
          `the API server ${server} could not be verified with the CA of the discovery file: ${err.message}`,
          hint ? { hint } : {},
        )
      );
    }
    if (err instanceof BodyLimitError) throw new KubejoinError('untrusted-cluster', err.message);
    if (err instanceof GaveUp || err instanceof TransportError) throw new KubejoinError('timeout', `cannot reach the API server ${server}: ${err.message}`);
    throw err;
  }
}

/** Discovery from a file or https URL: the four discovery steps (no signature to check). */
export function discoverFromFile(source: Extract<DiscoverySource, { kind: 'file' }>, run: DiscoveryOptions): Discovery {
  let signal: AbortSignal = run.signal;
  const opts = (p: Progress): FileRun => ({
    timeoutMs: run.requestTimeoutMs,
    signal,
    proxy: run.proxy,
    onRetry: p,
    ...(run.delayMs ? { delayMs: run.delayMs } : {}),
  });
  let entry: ClusterEntry | undefined;
  let pinned: PinnedCA | undefined;
  let verified: VerifiedCluster | undefined;
  const steps: DiscoveryStep[] = [
    {
      phase: 'discover',
      async run(p) {
        signal = AbortSignal.any([run.signal, AbortSignal.timeout(run.timeoutMs)]);
        entry = await loadDiscoveryFile(source.source, opts(p));
        return `cluster ${entry.server} from the discovery file`;
      },
    },
    { phase: 'verify-signature', run: async () => 'skipped: a discovery file carries no signature' },
    {
      phase: 'pin-ca',
      async run() {
        pinned = checkPinnedCA(entry!.caPem, source.pins, { what: 'the discovery file', pinsRequired: false, authenticated: true });
        return pinned.matchedPin ? `the CA matches ${pinned.matchedPin}` : 'skipped: the discovery file is trusted as given';
      },
    },
    {
      phase: 'verify-server',
      async run(p) {
        const url = new URL(entry!.server);
        const route = describeRoute(run.proxy, `${url.hostname}:${url.port || 443}`);
        if (route) p(route);
        const reading = await verifyServer(entry!.server, entry!.caPem, opts(p));
        if (isSkewed(reading)) p(skewWarning(reading));
        verified = verifiedCluster({
          endpoint: url.host,
          server: entry!.server,
          caPem: entry!.caPem,
          cas: pinned!.certs,
          matchedPin: pinned!.matchedPin,
          proxy: run.proxy,
          ...(reading ? { clock: reading } : {}),
        });
        return `${entry!.server} is verified by the discovery file's CA`;
      },
    },
  ];
  return { steps, result: () => verified ?? missing() };
}
