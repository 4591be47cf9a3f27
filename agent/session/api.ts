import { KubejoinError } from '../errors.js';
import { MalformedObjectError } from '../protocol/objects.js';
import { BodyLimitError, isTlsVerificationError, TransportError, type Response, type TrustAgent } from '../transport/http.js';
import { GaveUp, isTransientStatus, retrying, transientStatus, type Attempt } from '../transport/retry.js';

// What every call to a proven API server goes through (docs/protocol.md §4 and §9): the
// server and the keep-alive agent that trusts it, the secret it carries (a bootstrap token, or
// none when the agent holds the node's client certificate), the bound on one request, the
// caller's one AbortSignal, and the retry policy for transient failures.

export interface ClusterApi {
  server: string;
  agent: TrustAgent;
  /** Agent for long-lived watches (default: `agent`). */
  watchAgent?: TrustAgent;
  /** Bootstrap token (a join). Absent: the agent carries the node's client certificate. */
  bearer?: string;
  timeoutMs: number;
  /** The caller's deadline and cancel, one signal. */
  signal?: AbortSignal;
  /** Told before each retry of a transient failure. */
  onRetry?: (reason: string, attempt: number) => void;
  /** Wait before attempt n of a retry (default: capped exponential backoff with jitter). */
  delayMs?: (attempt: number) => number;
  /**
   * Epoch ms after which a transient failure is no longer retried here (default: retried until
   * `signal`): for a caller that retries on a schedule of its own (the rotation agent).
   */
  retryUntil?: number;
}

/**
 * One API call retried while it fails transiently (429 with Retry-After, 5xx, refused, reset,
 * stalled) until the caller's deadline; any other answer is returned as it is.
 */
export function callApi(api: ClusterApi, what: string, call: () => Promise<Response>): Promise<Response> {
  return retrying<Response>(
    async (): Promise<Attempt<Response>> => {
      const res = await call();
      return isTransientStatus(res.status) ? transientStatus(res.status, res.headers, what) : { done: true, value: res };
    },
    {
      ...(api.signal ? { signal: api.signal } : {}),
      onRetry: (reason, attempt) => api.onRetry?.(`${reason}; retrying (attempt ${attempt})`, attempt),
      ...(api.delayMs ? { delayMs: api.delayMs } : {}),
      ...(api.retryUntil !== undefined ? { deadline: api.retryUntil } : {}),
    },
  );
}

/** A transport failure as a typed error: a TLS failure or an oversized answer is exit 3, the rest a timeout (exit 6). */
export function transportFailure(err: unknown, server: string): unknown {
  if (err instanceof BodyLimitError) return new KubejoinError('untrusted-cluster', `the API server ${server} sent an answer over the limit: ${err.message}`);
  if (err instanceof TransportError && isTlsVerificationError(err)) {
    return new KubejoinError('untrusted-cluster', `the API server ${server} could not be verified with the pinned CA: ${err.message}`);
  }
  if (err instanceof TransportError || err instanceof GaveUp) return new KubejoinError('timeout', `cannot reach the API server ${server}: ${err.message}`);
  if (err instanceof MalformedObjectError) return new KubejoinError('internal', `unexpected answer from the API server ${server}: ${err.message}`);
  return err;
}
