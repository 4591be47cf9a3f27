import { KubejoinError } from '../errors.js';
import { BodyLimitError, LIMITS, request, type Response, type TrustAgent } from '../transport/http.js';
import { isTransientStatus, retryAfterMs } from '../transport/retry.js';
import { CLUSTER_INFO_PATH, JWS_KEY_PREFIX, KUBECONFIG_KEY } from '../protocol/cluster-info.js';
import { isRecord } from '../protocol/objects.js';

// Reading kube-public/cluster-info (docs/protocol.md §3.1-3.2): one GET, capped, and what the
// answer says. Shared by the discovery poll and the doctor, so both judge an answer the same
// way (discovery asks the API server's cache first, the doctor etcd).

/**
 * How a read is served (docs/protocol.md §3.1): `fresh` is a quorum read, which the API server
 * answers from etcd; `cached` asks for any version (resourceVersion=0), which it answers from
 * its watch cache, without an etcd read, possibly a few ms behind etcd.
 */
export type Freshness = 'fresh' | 'cached';

export function clusterInfoUrl(endpoint: string, freshness: Freshness = 'fresh'): string {
  return `https://${endpoint}${CLUSTER_INFO_PATH}${freshness === 'cached' ? '?resourceVersion=0' : ''}`;
}

/** One GET of cluster-info; an answer over the cap is an untrusted server (exit 3). */
export async function getClusterInfo(
  endpoint: string,
  agent: TrustAgent,
  opts: { timeoutMs: number; signal?: AbortSignal; freshness?: Freshness },
): Promise<Response> {
  try {
    return await request({
      url: clusterInfoUrl(endpoint, opts.freshness),
      agent,
      timeoutMs: opts.timeoutMs,
      ...(opts.signal ? { signal: opts.signal } : {}),
      limit: LIMITS.clusterInfo,
      what: `cluster-info from ${endpoint}`,
    });
  } catch (err) {
    if (err instanceof BodyLimitError) {
      // Nothing verified yet: an oversized answer is an untrusted server (docs/protocol.md §7).
      throw new KubejoinError('untrusted-cluster', `${err.message} (a real cluster-info is a few KiB)`, {
        hint: 'Check the endpoint: this is not a Kubernetes API server answering as one should.',
      });
    }
    throw err;
  }
}

/**
 * The ConfigMap's kubeconfig and its signatures by token id. A signature is looked up, not
 * copied out: a cluster that enrolls a fleet with one token per node has a signature for each
 * (hundreds), and a join needs one of them (docs/performance.md, "Profile of a cold join").
 */
export interface ClusterInfoData {
  kubeconfig: string;
  /** The JWS signature for this token id, when cluster-info has one as a string. */
  signatureOf(id: string): string | undefined;
  /** Every token id cluster-info has a signature for. */
  signedIds(): string[];
}

/** What one answer says: the data, or why there is none (`unprepared`: retrying will not help soon). */
export type ClusterInfoAnswer = { kind: 'ok'; data: ClusterInfoData } | { kind: 'unprepared' | 'unreachable'; reason: string; status: number; waitMs?: number };

export function parseClusterInfo(res: Response): ClusterInfoAnswer {
  const { status } = res;
  if (status === 404 || status === 403 || status === 401) {
    return {
      kind: 'unprepared',
      status,
      reason:
        status === 404 ? 'the ConfigMap kube-public/cluster-info does not exist' : `anonymous read of kube-public/cluster-info is not allowed (HTTP ${status})`,
    };
  }
  if (isTransientStatus(status)) {
    const after = retryAfterMs(res.headers);
    return {
      kind: 'unreachable',
      status,
      reason: `the server answered HTTP ${status}${after !== undefined ? ` (Retry-After ${Math.round(after / 1000)} s)` : ''}`,
      ...(after !== undefined ? { waitMs: after } : {}),
    };
  }
  if (status !== 200) return { kind: 'unreachable', status, reason: `the server answered HTTP ${status}` };
  let data: unknown;
  try {
    data = (JSON.parse(res.body) as { data?: unknown } | null)?.data;
  } catch {
    return { kind: 'unreachable', status, reason: 'the server answered with something that is not JSON' };
  }
  const fields = isRecord(data) ? data : {};
  const kubeconfig = fields[KUBECONFIG_KEY];
  if (typeof kubeconfig !== 'string') return { kind: 'unprepared', status, reason: `kube-public/cluster-info has no "${KUBECONFIG_KEY}" key` };
  const signatureOf = (id: string): string | undefined => {
    const v = Object.hasOwn(fields, JWS_KEY_PREFIX + id) ? fields[JWS_KEY_PREFIX + id] : undefined;
    return typeof v === 'string' ? v : undefined;
  };
  const signedIds = (): string[] =>
    Object.keys(fields)
      .filter((k) => k.startsWith(JWS_KEY_PREFIX) && typeof fields[k] === 'string')
      .map((k) => k.slice(JWS_KEY_PREFIX.length));
  return { kind: 'ok', data: { kubeconfig, signatureOf, signedIds } };
}
