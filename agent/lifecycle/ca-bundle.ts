import type { X509Certificate } from 'node:crypto';
import { getClusterInfo, parseClusterInfo, type ClusterInfoAnswer } from '../discovery/index.js';
import { KubejoinError } from '../errors.js';
import { certificatesOf } from '../protocol/pin.js';
import { clusterOf } from '../protocol/kubeconfig.js';
import type { NodeSession } from '../session/index.js';
import { replaceCaBundle, type CertAndKey, type InstalledCredential } from '../store/installed.js';
import { withRunLocks } from '../store/lock.js';
import { createAgent, isTlsVerificationError, sharedAgent, TransportError } from '../transport/http.js';
import type { ProxyConfig } from '../transport/proxy.js';

// Following the cluster's CA bundle (docs/operations.md, "CA rotation"; docs/protocol.md §9):
// kube-public/cluster-info is watched and read over the NODE session (TLS verified with the CA
// set held now, the node's client certificate, no token; anonymously over the same trust where
// the cluster lets only system:anonymous read it, as kubeadm sets it up), and the stored
// kubeconfig's CA set is kept equal to the cluster's. A CA added is written at once; a CA
// removed only when the server already chains to what remains: a bundle that would not verify
// the server we are talking to is refused and reported, never written. The same rules apply
// to a bundle read by name (here) and to one a watch event brings (ca-watch.ts).

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

/** cluster-info as the server answers it now, read over `session` (or anonymously on 403), or why it cannot be read. */
export async function readClusterInfo(
  session: NodeSession,
  installed: InstalledCredential,
  opts: FollowOptions = {},
): Promise<{ kind: 'answer'; answer: ClusterInfoAnswer } | Extract<CaCheck, { kind: 'unavailable' }>> {
  const size = certificatesOf(installed.cluster.caPem).length;
  try {
    let res = await getInfo(session.server, session.agent, opts);
    // kubeadm lets only system:anonymous read cluster-info: a node is refused (403). Then the
    // same read without the client certificate, still verified with the CAs held now.
    if (res.status === 403) res = await getInfo(session.server, sharedAgent({ ca: installed.cluster.caPem, proxy: opts.proxy }), opts);
    return { kind: 'answer', answer: parseClusterInfo(res) };
  } catch (err) {
    return { kind: 'unavailable', size, reason: err instanceof Error ? err.message : String(err) };
  }
}

function getInfo(server: string, agent: NodeSession['agent'], opts: FollowOptions): ReturnType<typeof getClusterInfo> {
  const endpoint = new URL(server).host;
  return getClusterInfo(endpoint, agent, { timeoutMs: opts.timeoutMs ?? 30_000, ...(opts.signal ? { signal: opts.signal } : {}) });
}

/**
 * One check: reads cluster-info over `session` and brings the stored CA set in line with
 * it. Writes only under the run lock, only when the new set verifies the server.
 */
export async function followCaBundle(session: NodeSession, installed: InstalledCredential, credential: CertAndKey, opts: FollowOptions = {}): Promise<CaCheck> {
  const read = await readClusterInfo(session, installed, opts);
  return read.kind === 'answer' ? applyCaBundle(read.answer, session, installed, credential, opts) : read;
}

/**
 * Brings the stored CA set in line with `answer` (from a read or a watch event of cluster-info
 * on `session`'s server). Writes only under the run lock, only when the new set verifies the server.
 */
export async function applyCaBundle(
  answer: ClusterInfoAnswer,
  session: Pick<NodeSession, 'server'>,
  installed: InstalledCredential,
  credential: CertAndKey,
  opts: FollowOptions = {},
): Promise<CaCheck> {
  const held = certificatesOf(installed.cluster.caPem);
  const size = held.length;
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
      await getInfo(session.server, probe, opts);
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
