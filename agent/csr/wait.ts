import { KubejoinError } from '../errors.js';
import { request, stream, statusMessage } from '../transport/http.js';
import { CSR_PATH, csrState, type CsrObject } from './api.js';
import { refusal, transportFailure, type ApiClient } from './request.js';

export interface WaitOptions {
  name: string;
  uid: string;
  resourceVersion: string;
  /** Told when the wait changes state ("approved, waiting for the certificate", re-watch). */
  onProgress?: (message: string, attempt?: number) => void;
}

const WATCH_SECONDS = 300;

/**
 * Watches the CSR (re-watching when the stream drops) until it is Approved and carries a
 * certificate. Denied, Failed, deletion and a UID change each end the join with their
 * own error. Returns the certificate PEM.
 */
export async function waitForCertificate(api: ApiClient, opts: WaitOptions, initial?: CsrObject): Promise<string> {
  let rv = opts.resourceVersion;
  let approvedSaid = false;
  const decide = (obj: CsrObject): string | undefined => {
    if (obj.metadata.uid !== opts.uid) {
      throw new KubejoinError('certificate-denied', `the certificate signing request ${opts.name} was replaced by another one (UID changed) while waiting`, {
        hint: 'Another client recreated it. Join again.',
      });
    }
    rv = obj.metadata.resourceVersion;
    const state = csrState(obj);
    switch (state.kind) {
      case 'issued':
        return state.certificatePem;
      case 'denied':
      case 'failed':
        throw new KubejoinError(
          'certificate-denied',
          `the certificate signing request ${opts.name} was ${state.kind} by the cluster: ${state.reason}${state.message ? ` (${state.message})` : ''}`,
          { hint: 'Ask a cluster administrator why; approve a new request with "kubectl certificate approve <name>" after joining again.' },
        );
      case 'approved':
        if (!approvedSaid) opts.onProgress?.('approved, waiting for the certificate to be issued');
        approvedSaid = true;
        return undefined;
      case 'pending':
        return undefined;
    }
  };
  if (initial) {
    const done = decide(initial);
    if (done) return done;
  }
  const common = { agent: api.agent, bearer: api.bearer, ...(api.signal ? { signal: api.signal } : {}) };
  const watchAgent = api.watchAgent ?? api.agent;
  opts.onProgress?.('waiting for the certificate signing request to be approved');
  for (let attempt = 1; ; attempt++) {
    const url =
      `${api.server}${CSR_PATH}?fieldSelector=${encodeURIComponent(`metadata.name=${opts.name}`)}` +
      `&watch=true&allowWatchBookmarks=true&timeoutSeconds=${WATCH_SECONDS}&resourceVersion=${encodeURIComponent(rv)}`;
    let resync = false;
    try {
      for await (const item of stream({ ...common, agent: watchAgent, url, timeoutMs: (WATCH_SECONDS + 30) * 1000 })) {
        if (item.status !== 200) {
          const refused = refusal(item.status, item.body ?? '', 'watching the certificate signing request');
          if (refused) throw refused;
          throw new KubejoinError('certificate-denied', `watching ${opts.name} failed (HTTP ${item.status}): ${statusMessage(item.body ?? '') ?? ''}`);
        }
        const event = JSON.parse(item.line!) as { type: string; object: CsrObject & { code?: number } };
        if (event.type === 'BOOKMARK') {
          rv = event.object.metadata.resourceVersion;
        } else if (event.type === 'ERROR') {
          resync = true; // 410 Gone: our resourceVersion is too old; read the object again.
          break;
        } else if (event.type === 'DELETED') {
          throw new KubejoinError('certificate-denied', `the certificate signing request ${opts.name} was deleted while waiting for approval`, {
            hint: 'Someone removed it (or the cluster garbage-collected it). Join again.',
          });
        } else {
          const done = decide(event.object);
          if (done) return done;
        }
      }
    } catch (err) {
      throw transportFailure(err, api.server);
    }
    if (resync) {
      const res = await request({ ...common, url: `${api.server}${CSR_PATH}/${opts.name}`, timeoutMs: api.timeoutMs }).catch((e: unknown) => {
        throw transportFailure(e, api.server);
      });
      if (res.status === 404) throw new KubejoinError('certificate-denied', `the certificate signing request ${opts.name} was deleted while waiting for approval`);
      const refused = refusal(res.status, res.body, 'reading the certificate signing request');
      if (refused) throw refused;
      const done = decide(JSON.parse(res.body) as CsrObject);
      if (done) return done;
    }
    opts.onProgress?.('the watch ended, watching again', attempt + 1);
  }
}
