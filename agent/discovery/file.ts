import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { KubejoinError } from '../errors.js';
import { createAgent, isTlsVerificationError, request, sharedAgent, TransportError } from '../transport/http.js';
import { describeRoute, type ProxyConfig } from '../transport/proxy.js';
import { isSkewed, readServerDate, skewWarning, type ClockReading } from '../protocol/clock-skew.js';
import { certificateTimeHint, clockFailure, readClockAnonymously } from './clock.js';
import { clusterOf, type ClusterEntry } from '../protocol/kubeconfig.js';
import type { DiscoveredCluster, DiscoveryRun, DiscoverySource } from './index.js';
import { checkPinnedCA } from './pins.js';

// File discovery (--discovery-file): a kubeconfig supplies server and CA. A path is read
// from disk; an https URL is fetched with the system's trust store. No JWS check.

interface FileOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  proxy?: ProxyConfig | undefined;
}

export async function loadDiscoveryFile(source: string, opts: FileOptions): Promise<ClusterEntry> {
  if (/^https:\/\//i.test(source)) {
    let text: string;
    // The system's trust store (no CA given), through the proxy when one is set.
    const agent = createAgent({ proxy: opts.proxy });
    try {
      const res = await request({ url: source, agent, timeoutMs: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
      if (res.status !== 200) throw new KubejoinError('invalid-input', `the discovery file ${source} answered HTTP ${res.status}`);
      text = res.body;
    } catch (err) {
      if (err instanceof TransportError) {
        throw new KubejoinError('timeout', `cannot fetch the discovery file ${source}: ${err.message}`);
      }
      throw err;
    } finally {
      agent.destroy();
    }
    return clusterOf(text, `the discovery file ${source}`);
  }
  if (/^[a-z]+:\/\//i.test(source)) {
    throw new KubejoinError('invalid-input', `the discovery file "${source}" must be a local path or an https:// URL`);
  }
  let text: string;
  try {
    text = await readFile(source, 'utf8');
  } catch (err) {
    throw new KubejoinError('invalid-input', `cannot read the discovery file ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const base = dirname(resolve(source));
  return clusterOf(text, `the discovery file ${source}`, (p) => readFileSync(resolve(base, p), 'utf8'));
}

/** Proves the server answers over TLS verified by the discovered CA (GET /version). */
/** Also reads the server's Date (the clock guard, docs/protocol.md §3.10). */
export async function verifyServer(server: string, caPem: string, opts: FileOptions): Promise<ClockReading | undefined> {
  // The shared agent: the TLS bootstrap that follows reuses this connection.
  const agent = sharedAgent({ ca: caPem, proxy: opts.proxy });
  try {
    const res = await request({ url: `${server}/version`, agent, timeoutMs: opts.timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
    if (res.status >= 500) throw new KubejoinError('timeout', `the API server ${server} answered HTTP ${res.status}`);
    return readServerDate(res.date);
  } catch (err) {
    if (err instanceof TransportError) {
      if (!isTlsVerificationError(err)) throw new KubejoinError('timeout', `cannot reach the API server ${server}: ${err.message}`);
      const reading = await readClockAnonymously(server, opts);
      const hint = certificateTimeHint(err, reading);
      throw clockFailure(err, reading, server) ??
        new KubejoinError('untrusted-cluster', `the API server ${server} could not be verified with the CA of the discovery file: ${err.message}`, hint ? { hint } : {});
    }
    throw err;
  }
}

/** Discovery from a file or https URL: the four discovery phases (no signature to check). */
export async function discoverFromFile(source: Extract<DiscoverySource, { kind: 'file' }>, run: DiscoveryRun): Promise<DiscoveredCluster> {
  const { clock, abortable, signal } = run;
  const opts = { timeoutMs: run.requestTimeoutMs, signal, proxy: run.proxy };
  const entry = await clock.run('discover', () => abortable(loadDiscoveryFile(source.source, opts)), (e) => `cluster ${e.server} from the discovery file`);
  await clock.run('verify-signature', async () => undefined, () => 'skipped: a discovery file carries no signature');
  const pinned = await clock.run('pin-ca', async () => checkPinnedCA(entry.caPem, source.pins, 'the discovery file', false),
    (p) => (p.matchedPin ? `the CA matches ${p.matchedPin}` : 'skipped: the discovery file is trusted as given'));
  const reading = await clock.run('verify-server', async (p) => {
    const url = new URL(entry.server);
    const route = describeRoute(run.proxy, `${url.hostname}:${url.port || 443}`);
    if (route) p(route);
    const r = await abortable(verifyServer(entry.server, entry.caPem, opts));
    if (isSkewed(r)) p(skewWarning(r));
    return r;
  }, () => `${entry.server} is verified by the discovery file's CA`);
  return { server: entry.server, caPem: entry.caPem, cas: pinned.certs, ...(reading ? { clock: reading } : {}) };
}
