import { KubejoinError } from '../errors.js';
import { request, stream, TransportError, BodyLimitError, isTlsVerificationError } from '../transport/http.js';
import { watchUntil, endedByStatus, type WatchEnd, type WatchQuery } from '../watch/loop.js';
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

/** The server ends each watch after this long; the loop watches again (agent/watch). */
const WATCH_SECONDS = 300;

/**
 * Watches the CSR (agent/watch: re-read on silence, re-watched with backoff when the stream
 * ends, breaks, stays silent or is refused transiently) until it is Approved and carries a certificate. Only Denied and Failed
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

  // One watch (docs/protocol.md §4.6): refusals end the wait, the rest is re-watched by the loop.
  const open = async (query: WatchQuery, signal: AbortSignal, heard: () => void): Promise<WatchEnd<string>> => {
    const params = new URLSearchParams({ fieldSelector: `metadata.name=${opts.name}`, watch: 'true' });
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, v);
    const url = `${api.server}${CSR_PATH}?${params.toString()}`;
    try {
      for await (const item of stream({ ...common, agent: watchAgent, signal, url, timeoutMs: (WATCH_SECONDS + 30) * 1000, what: 'one watch event' })) {
        if (item.status !== 200) {
          const refused = refusal(item.status, item.body ?? '', 'watching the certificate signing request');
          if (refused) throw refused;
          if (item.status === 410) return { kind: 'ended', resync: true };
          return endedByStatus(item.status, item.body ?? '', item.headers);
        }
        heard();
        const event = parseWatchEvent(item.line!);
        if (event.type === 'BOOKMARK') rv = event.resourceVersion;
        else if (event.type === 'ERROR')
          return { kind: 'ended', resync: true }; // 410 Gone: our resourceVersion is too old.
        else if (event.type === 'DELETED') throw deleted();
        else {
          const done = decide(event.object);
          if (done) return { kind: 'done', value: done };
        }
      }
      return { kind: 'ended' };
    } catch (err) {
      if (!(err instanceof TransportError) || err instanceof BodyLimitError || isTlsVerificationError(err) || signal.aborted)
        throw transportFailure(err, api.server);
      return { kind: 'ended', trouble: `the watch broke: ${err.message}` };
    }
  };
  // The read by name: on silence, and after a 410.
  const read = async (signal: AbortSignal): Promise<{ value: string } | undefined> => {
    const res = await callApi({ ...api, signal }, 'reading the certificate signing request', () =>
      request({ ...common, signal, url: `${api.server}${CSR_PATH}/${opts.name}`, timeoutMs: api.timeoutMs, what: 'the certificate signing request' }),
    ).catch((e: unknown) => {
      throw transportFailure(e, api.server);
    });
    if (res.status === 404) throw deleted();
    const refused = refusal(res.status, res.body, 'reading the certificate signing request');
    if (refused) throw refused;
    if (res.status !== 200) throw new KubejoinError('internal', `the certificate signing request ${opts.name} cannot be read (HTTP ${res.status})`);
    const done = decide(parseCsrObject(res.body, `the certificate signing request ${opts.name}`));
    return done === undefined ? undefined : { value: done };
  };
  try {
    return await watchUntil<string>({
      what: `the watch of the certificate signing request ${opts.name}`,
      timeoutSeconds: WATCH_SECONDS,
      resourceVersion: () => rv,
      open,
      read,
      ...(api.signal ? { signal: api.signal } : {}),
      ...(api.delayMs ? { delayMs: api.delayMs } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
  } catch (err) {
    throw transportFailure(err, api.server);
  }
}
