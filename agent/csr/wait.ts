import { KubejoinError } from '../errors.js';
import { request, stream, statusMessage, TransportError, BodyLimitError, isTlsVerificationError } from '../transport/http.js';
import { backoffMs, isTransientStatus, pause, retryAfterMs } from '../transport/retry.js';
import { CSR_PATH, csrState, parseCsrObject, parseWatchEvent, type CsrObject } from './api.js';
import { callApi, transportFailure, type ClusterApi } from '../session/index.js';
import { refusal } from './request.js';

export interface WaitOptions {
  name: string;
  uid: string;
  resourceVersion: string;
  /** Told when the wait changes state ("approved, waiting for the certificate", re-watch). */
  onProgress?: (message: string, attempt?: number) => void;
}

const WATCH_SECONDS = 300;
/** A watch that lasted this long and ended cleanly is re-opened at once; shorter ones back off. */
const HEALTHY_WATCH_MS = 10_000;
/** At most one "watching again" progress event per this many ms. */
const PROGRESS_EVERY_MS = 1_000;

/**
 * Watches the CSR (re-watching with backoff when the stream ends, breaks or is refused
 * transiently) until it is Approved and carries a certificate. Only Denied and Failed
 * (exit 5), deletion and a UID change end the wait early; everything transient is retried
 * until the join's deadline (api.signal). Returns the certificate PEM.
 */
export async function waitForCertificate(api: ClusterApi, opts: WaitOptions, initial?: CsrObject): Promise<string> {
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
  const deleted = (): KubejoinError =>
    new KubejoinError('certificate-denied', `the certificate signing request ${opts.name} was deleted while waiting for approval`, {
      hint: 'Someone removed it (or the cluster garbage-collected it). Join again.',
    });
  if (initial) {
    const done = decide(initial);
    if (done) return done;
  }
  const common = { agent: api.agent, bearer: api.bearer, ...(api.signal ? { signal: api.signal } : {}) };
  const watchAgent = api.watchAgent ?? api.agent;
  opts.onProgress?.('waiting for the certificate signing request to be approved');
  let troubled = 0;
  let saidAt = 0;
  for (let attempt = 1; ; attempt++) {
    const url =
      `${api.server}${CSR_PATH}?fieldSelector=${encodeURIComponent(`metadata.name=${opts.name}`)}` +
      `&watch=true&allowWatchBookmarks=true&timeoutSeconds=${WATCH_SECONDS}&resourceVersion=${encodeURIComponent(rv)}`;
    const began = Date.now();
    let resync = false;
    let trouble: string | undefined;
    let serverWait: number | undefined;
    try {
      for await (const item of stream({ ...common, agent: watchAgent, url, timeoutMs: (WATCH_SECONDS + 30) * 1000, what: 'one watch event' })) {
        if (item.status !== 200) {
          const refused = refusal(item.status, item.body ?? '', 'watching the certificate signing request');
          if (refused) throw refused;
          if (item.status === 410) resync = true;
          else {
            trouble = `the watch was answered HTTP ${item.status}${statusMessage(item.body ?? '') ? `: ${statusMessage(item.body ?? '')}` : ''}`;
            if (isTransientStatus(item.status)) serverWait = retryAfterMs(item.headers);
          }
          break;
        }
        const event = parseWatchEvent(item.line!);
        if (event.type === 'BOOKMARK') rv = event.resourceVersion;
        else if (event.type === 'ERROR') {
          resync = true; // 410 Gone: our resourceVersion is too old; read the object again.
          break;
        } else if (event.type === 'DELETED') throw deleted();
        else {
          const done = decide(event.object);
          if (done) return done;
        }
      }
    } catch (err) {
      if (!(err instanceof TransportError) || err instanceof BodyLimitError || isTlsVerificationError(err) || api.signal?.aborted)
        throw transportFailure(err, api.server);
      trouble = `the watch broke: ${err.message}`;
    }
    if (resync) {
      const res = await callApi(api, 'reading the certificate signing request', () =>
        request({ ...common, url: `${api.server}${CSR_PATH}/${opts.name}`, timeoutMs: api.timeoutMs, what: 'the certificate signing request' }),
      ).catch((e: unknown) => {
        throw transportFailure(e, api.server);
      });
      if (res.status === 404) throw deleted();
      const refused = refusal(res.status, res.body, 'reading the certificate signing request');
      if (refused) throw refused;
      if (res.status !== 200) throw new KubejoinError('internal', `the certificate signing request ${opts.name} cannot be read (HTTP ${res.status})`);
      const done = decide(parseCsrObject(res.body, `the certificate signing request ${opts.name}`));
      if (done) return done;
    }
    // Never a tight loop: a watch that broke or ended early is re-opened after a backoff.
    const healthy = trouble === undefined && Date.now() - began >= HEALTHY_WATCH_MS;
    troubled = healthy ? 0 : troubled + 1;
    const wait = healthy ? 0 : Math.max(api.delayMs ? api.delayMs(troubled + 1) : backoffMs(troubled + 1), serverWait ?? 0);
    if (Date.now() - saidAt >= PROGRESS_EVERY_MS) {
      saidAt = Date.now();
      opts.onProgress?.(trouble ? `${trouble}; watching again` : 'the watch ended, watching again', attempt + 1);
    }
    try {
      await pause(wait, api.signal, trouble ?? 'the watch ended');
    } catch (err) {
      throw transportFailure(err, api.server);
    }
  }
}
