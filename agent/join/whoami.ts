import { KubejoinError } from '../errors.js';
import { createAgent, request, statusMessage, TransportError } from '../transport/http.js';
import type { Identity } from '../contract/index.js';
import type { ProxyConfig } from '../transport/proxy.js';

/** Calls the API with the new certificate (SelfSubjectReview) and returns who the cluster says we are. */
export async function whoAmI(server: string, caPem: string, certPem: string, keyPem: string, opts: { timeoutMs: number; signal?: AbortSignal; proxy?: ProxyConfig | undefined }): Promise<Identity> {
  const agent = createAgent({ ca: caPem, cert: certPem, key: keyPem, proxy: opts.proxy });
  try {
    const res = await request({
      url: `${server}/apis/authentication.k8s.io/v1/selfsubjectreviews`,
      method: 'POST',
      agent,
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      timeoutMs: opts.timeoutMs,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (res.status !== 201 && res.status !== 200) {
      throw new KubejoinError('certificate-denied', `the API server does not accept the new credential (HTTP ${res.status})${statusMessage(res.body) ? `: ${statusMessage(res.body)}` : ''}`);
    }
    const info = (JSON.parse(res.body) as { status?: { userInfo?: { username?: string; groups?: string[] } } }).status?.userInfo;
    return { username: info?.username ?? '', groups: info?.groups ?? [] };
  } catch (err) {
    if (err instanceof TransportError) throw new KubejoinError('timeout', `cannot reach the API server ${server} to verify the credential: ${err.message}`);
    throw err;
  } finally {
    agent.destroy();
  }
}
