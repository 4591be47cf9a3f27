import { createAgent, sharedAgent } from '../transport/http.js';
import type { ProxyConfig } from '../transport/proxy.js';
import type { VerifiedCluster } from '../discovery/index.js';
import type { ClusterApi } from './api.js';

// The two ways kubejoin talks to a cluster it has proven (docs/protocol.md §4 and §9):
// - a bootstrap session: the join's token, sent only to a server discovery verified
//   (a VerifiedCluster, never a URL or a bundle);
// - a node session: the node's own client certificate, trusted by the CA the join stored,
//   through the same proxy rules as the join (HTTPS_PROXY / --proxy, NO_PROXY). Rotation,
//   renew, status, the agent, the desktop's rotation and the proof after a join use it.

export interface SessionOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  onRetry?: (reason: string, attempt: number) => void;
  delayMs?: (attempt: number) => number;
  retryUntil?: number;
}

export interface NodeSession extends ClusterApi {
  /** Closes the session's connections (its agent holds the client key). */
  close(): void;
}

const optional = (opts: SessionOptions): Partial<ClusterApi> => ({
  ...(opts.signal ? { signal: opts.signal } : {}),
  ...(opts.onRetry ? { onRetry: opts.onRetry } : {}),
  ...(opts.delayMs ? { delayMs: opts.delayMs } : {}),
  ...(opts.retryUntil !== undefined ? { retryUntil: opts.retryUntil } : {}),
});

/** The node's credential against the cluster it belongs to. Close it when done. */
export function openNodeSession(
  cluster: { server: string; caPem: string },
  credential: { certPem: string; keyPem: string },
  opts: SessionOptions & { proxy?: ProxyConfig | undefined },
): NodeSession {
  const agent = createAgent({ ca: cluster.caPem, cert: credential.certPem, key: credential.keyPem, proxy: opts.proxy });
  return { server: cluster.server, agent, timeoutMs: opts.timeoutMs, ...optional(opts), close: () => agent.destroy() };
}

/**
 * The join's token against the server discovery proved. The keep-alive agents are the
 * process-wide ones for this CA and route, so the verified connection is reused.
 */
export function bootstrapSession(cluster: VerifiedCluster, token: string, opts: SessionOptions): ClusterApi {
  const route = { ca: cluster.caPem, proxy: cluster.proxy };
  return {
    server: cluster.server,
    agent: sharedAgent(route),
    watchAgent: sharedAgent(route, 'watch'),
    bearer: token,
    timeoutMs: opts.timeoutMs,
    ...optional(opts),
  };
}
