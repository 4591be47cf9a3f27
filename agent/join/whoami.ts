import { KubejoinError } from '../errors.js';
import { createAgent, request, statusMessage } from '../transport/http.js';
import { callApi, transportFailure } from '../csr/request.js';
import type { Identity } from '../contract/index.js';
import type { ProxyConfig } from '../transport/proxy.js';

/** The SelfSubjectReview answer's user info; a typed error for anything else (fuzzed). */
export function parseSelfSubjectReview(text: string): Identity {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KubejoinError('internal', 'the SelfSubjectReview answer is not JSON');
  }
  const info = (value as { status?: { userInfo?: { username?: unknown; groups?: unknown } } } | null)?.status?.userInfo;
  const username = typeof info?.username === 'string' ? info.username : '';
  const groups = Array.isArray(info?.groups) ? info.groups.filter((g): g is string => typeof g === 'string') : [];
  return { username, groups };
}

/**
 * Calls the API with the new certificate (SelfSubjectReview) and returns who the cluster
 * says we are. Transient failures are retried until the join's deadline (`signal`).
 */
export async function whoAmI(
  server: string,
  caPem: string,
  certPem: string,
  keyPem: string,
  opts: {
    timeoutMs: number;
    signal?: AbortSignal;
    proxy?: ProxyConfig | undefined;
    delayMs?: (attempt: number) => number;
    onRetry?: (reason: string, attempt: number) => void;
  },
): Promise<Identity> {
  const agent = createAgent({ ca: caPem, cert: certPem, key: keyPem, proxy: opts.proxy });
  const api = {
    server,
    agent,
    bearer: '',
    timeoutMs: opts.timeoutMs,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.delayMs ? { delayMs: opts.delayMs } : {}),
    ...(opts.onRetry ? { onRetry: opts.onRetry } : {}),
  };
  try {
    const res = await callApi(api, 'verifying the credential', () =>
      request({
        url: `${server}/apis/authentication.k8s.io/v1/selfsubjectreviews`,
        method: 'POST',
        agent,
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
        timeoutMs: opts.timeoutMs,
        what: 'the SelfSubjectReview answer',
        ...(opts.signal ? { signal: opts.signal } : {}),
      }),
    );
    if (res.status !== 201 && res.status !== 200) {
      throw new KubejoinError(
        'certificate-denied',
        `the API server does not accept the new credential (HTTP ${res.status})${statusMessage(res.body) ? `: ${statusMessage(res.body)}` : ''}`,
      );
    }
    return parseSelfSubjectReview(res.body);
  } catch (err) {
    throw transportFailure(err, server);
  } finally {
    agent.destroy();
  }
}
