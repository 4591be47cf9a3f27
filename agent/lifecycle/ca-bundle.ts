import type { X509Certificate } from 'node:crypto';
import { getClusterInfo, parseClusterInfo } from '../discovery/index.js';
import { KubejoinError } from '../errors.js';
import { certificatesOf } from '../protocol/pin.js';
import { clusterOf } from '../protocol/kubeconfig.js';
import type { NodeSession } from '../session/index.js';
import { replaceCaBundle, type CertAndKey, type InstalledCredential } from '../store/installed.js';
import { withRunLocks } from '../store/lock.js';
import { createAgent, isTlsVerificationError, sharedAgent, TransportError } from '../transport/http.js';
import type { ProxyConfig } from '../transport/proxy.js';

// Following the cluster's CA bundle (docs/operations.md, "CA rotation"; docs/protocol.md §9):
// kube-public/cluster-info is read over the NODE session (TLS verified with the CA set held
// now, the node's client certificate, no token; anonymously over the same trust where the
// cluster lets only system:anonymous read it, as kubeadm sets it up), and the stored kubeconfig's CA set is kept
// equal to the cluster's. A CA added is written at once; a CA removed only when the server
// already chains to what remains: a bundle that would not verify the server we are talking
// to is refused and reported, never written. This is a bounded periodic check (one GET by
// name); it belongs with the shared watch once there is one.

/** Caps (docs/protocol.md §7): a real bundle is a few KiB and one to three CAs. */
export const MAX_BUNDLE_BYTES = 1024 * 1024;
export const MAX_BUNDLE_CAS = 16;

export type CaEvent = { kind: 'ca-added' | 'ca-removed'; subject: string; fingerprint: string } | { kind: 'ca-refused'; reason: string };

export type CaCheck =
  | { kind: 'unchanged'; size: number }
  | { kind: 'changed'; size: number; events: CaEvent[] }
  | { kind: 'refused'; size: number; events: CaEvent[] }
  /** cluster-info could not be read (the server away, 401 for this certificate…): nothing changed. */
  | { kind: 'unavailable'; size: number; status?: number; reason: string };

export interface FollowOptions {
  proxy?: ProxyConfig | undefined;
  signal?: AbortSignal;
  timeoutMs?: number;
}

const describe = (c: X509Certificate): string => c.subject.replace(/\n/g, ', ');

/** The cluster's bundle as cluster-info publishes it, or why it cannot be used. */
export function bundleOf(kubeconfig: string): { pem: string; certs: X509Certificate[] } {
  const { caPem } = clusterOf(kubeconfig, 'cluster-info');
  if (Buffer.byteLength(caPem) > MAX_BUNDLE_BYTES)
    throw new KubejoinError('untrusted-cluster', `the CA bundle in cluster-info is over ${MAX_BUNDLE_BYTES} bytes`);
  const certs = certificatesOf(caPem);
  if (certs.length === 0) throw new KubejoinError('untrusted-cluster', 'the CA bundle in cluster-info holds no certificate');
  if (certs.length > MAX_BUNDLE_CAS)
    throw new KubejoinError('untrusted-cluster', `the CA bundle in cluster-info holds ${certs.length} certificates (at most ${MAX_BUNDLE_CAS})`);
  const notCa = certs.find((c) => !c.ca);
  if (notCa) throw new KubejoinError('untrusted-cluster', `the CA bundle in cluster-info holds a certificate that is not a CA: ${describe(notCa)}`);
  return { pem: `${certs.map((c) => c.toString().trim()).join('\n')}\n`, certs };
}

/** What changes from `held` to `next`, by certificate (fingerprint), in bundle order. */
export function bundleDiff(held: readonly X509Certificate[], next: readonly X509Certificate[]): CaEvent[] {
  const has = (list: readonly X509Certificate[], c: X509Certificate): boolean => list.some((x) => x.fingerprint256 === c.fingerprint256);
  return [
    ...next.filter((c) => !has(held, c)).map((c): CaEvent => ({ kind: 'ca-added', subject: describe(c), fingerprint: c.fingerprint256 })),
    ...held.filter((c) => !has(next, c)).map((c): CaEvent => ({ kind: 'ca-removed', subject: describe(c), fingerprint: c.fingerprint256 })),
  ];
}

export function eventLine(e: CaEvent): string {
  return e.kind === 'ca-refused' ? `ca-refused: ${e.reason}` : `${e.kind}: ${e.subject} (SHA-256 fingerprint ${e.fingerprint})`;
}

/**
 * One check: reads cluster-info over `session` and brings the stored CA set in line with
 * it. Writes only under the run lock, only when the new set verifies the server.
 */
export async function followCaBundle(session: NodeSession, installed: InstalledCredential, credential: CertAndKey, opts: FollowOptions = {}): Promise<CaCheck> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const held = certificatesOf(installed.cluster.caPem);
  const size = held.length;
  const endpoint = new URL(session.server).host;
  const read = (agent: NodeSession['agent']): ReturnType<typeof getClusterInfo> =>
    getClusterInfo(endpoint, agent, { timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
  let answer;
  try {
    let res = await read(session.agent);
    // kubeadm lets only system:anonymous read cluster-info: a node is refused (403). Then the
    // same read without the client certificate, still verified with the CAs held now.
    if (res.status === 403) res = await read(sharedAgent({ ca: installed.cluster.caPem, proxy: opts.proxy }));
    answer = parseClusterInfo(res);
  } catch (err) {
    return { kind: 'unavailable', size, reason: err instanceof Error ? err.message : String(err) };
  }
  if (answer.kind !== 'ok') return { kind: 'unavailable', size, status: answer.status, reason: answer.reason };
  let next;
  try {
    next = bundleOf(answer.data.kubeconfig);
  } catch (err) {
    return refused(size, (err as Error).message);
  }
  const events = bundleDiff(held, next.certs);
  if (events.length === 0) return { kind: 'unchanged', size };
  // The server we are talking to must verify with the new set alone (a new connection to
  // the same server, trusting only `next`): otherwise writing it would cut this node off.
  if (events.some((e) => e.kind === 'ca-removed')) {
    const probe = createAgent({ ca: next.pem, cert: credential.certPem, key: credential.keyPem, proxy: opts.proxy });
    try {
      await read(probe);
    } catch (err) {
      if (err instanceof TransportError && isTlsVerificationError(err)) {
        return refused(
          size,
          `the new bundle (${next.certs.length} CAs) does not verify the API server ${session.server} (${err.message}); the stored CAs are unchanged`,
        );
      }
      return { kind: 'unavailable', size, reason: `cannot check the new bundle against ${session.server}: ${(err as Error).message}` };
    } finally {
      probe.destroy();
    }
  }
  // One run at a time (docs/stores.md §8); the kubeconfig is read again under the lock.
  const written = await withRunLocks(installed.lockDirs, opts.signal ? { signal: opts.signal } : {}, () =>
    replaceCaBundle(installed.kubeconfigPath, installed.cluster.caPem, next.pem),
  );
  if (!written) return { kind: 'unavailable', size, reason: 'the kubeconfig changed meanwhile (another kubejoin run); checking again later' };
  return { kind: 'changed', size: next.certs.length, events };
}

function refused(size: number, reason: string): CaCheck {
  return { kind: 'refused', size, events: [{ kind: 'ca-refused', reason }] };
}
