import type { Identity } from '../contract/index.js';
import { USAGES } from '../csr/api.js';
import { loadClientKey } from '../csr/key.js';
import { csrName } from '../csr/name.js';
import { obtainCertificate, type KeySlot } from '../csr/obtain.js';
import { nodeSubject } from '../csr/pkcs10.js';
import { KubejoinError } from '../errors.js';
import { certificatesOf } from '../protocol/pin.js';
import { openNodeSession, proveIdentity } from '../session/index.js';
import type { CertAndKey, InstalledCredential } from '../store/installed.js';
import { withRunLocks } from '../store/lock.js';
import type { ProxyConfig } from '../transport/proxy.js';
import { certificateFacts, humanDuration, type CertificateFacts } from './deadline.js';

// One rotation, the kubelet's way (docs/protocol.md §9): a new key (saved first, so a
// re-run reuses it and finds its own CSR), a CSR for the same subject and usages with the
// kubelet signer, sent with the CURRENT client certificate, so the requester is
// system:node:<name> and csrapproving approves it through the selfnodeclient binding.
// The issued certificate is checked (§4.7) and proven with a SelfSubjectReview before it
// replaces the old one; until then the old credential stays in place and keeps working.

export interface RotateOptions {
  /** spec.expirationSeconds of the CSR (the signer may shorten it; >= 600). */
  expirationSeconds?: number;
  /** The whole rotation, approval included (default 15 min, the kubelet's wait). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** How the node reaches the cluster (HTTPS_PROXY, --proxy; undefined: directly). */
  proxy?: ProxyConfig | undefined;
  /** One line per step. */
  onProgress?: (message: string) => void;
  now?: () => number;
  /** How long to wait for another kubejoin on the same store (default: agent/store/lock.ts). */
  lockWaitMs?: number;
}

export interface RotationResult {
  csrName: string;
  /** The CSR came from an earlier, interrupted run. */
  reused: boolean;
  previous: CertificateFacts;
  current: CertificateFacts;
  identity: Identity;
}

export const DEFAULT_ROTATION_TIMEOUT_MS = 15 * 60_000;
export const MIN_EXPIRATION_SECONDS = 600;
const REQUEST_TIMEOUT_MS = 30_000;
/** How long a rotation retries a cluster that is away before reporting it (the agent then backs off). */
const REACH_RETRY_MS = 5_000;

/** The stored credential, or the errors status and renew report for its absence and expiry. */
export async function currentCredential(installed: InstalledCredential | undefined, now: number): Promise<{ pair: CertAndKey; facts: CertificateFacts }> {
  const pair = await installed?.load();
  if (!installed || !pair) {
    throw new KubejoinError('not-joined', 'this machine is not joined: no stored credential was found', {
      hint: 'Join with "kubejoin join …" first (or pass the --kubeconfig the join wrote).',
    });
  }
  const facts = certificateFacts(pair.certPem);
  if (now >= facts.notAfterMs) {
    throw new KubejoinError(
      'certificate-expired',
      `the client certificate expired at ${facts.notAfter} (${humanDuration(now - facts.notAfterMs)} ago): an expired certificate cannot renew itself`,
      { hint: rejoinHint(facts.nodeName) },
    );
  }
  if (!facts.nodeName) throw new KubejoinError('invalid-input', `the stored certificate's subject is ${facts.subject}, not a node's (CN=system:node:<name>)`);
  return { pair, facts };
}

/** The one line an admin runs to make a join command for this node (docs/operations.md). */
export function adminRejoinLine(nodeName: string | undefined): string {
  const node = nodeName ?? '<node name>';
  return `kubejoin token create --ttl 1h --description "rejoin ${node}" --print-join-command`;
}

/** What to do about an expired or refused node certificate, the admin's line first. */
export function rejoinHint(nodeName: string | undefined): string {
  const node = nodeName ?? '<node name>';
  return `Join again with a new bootstrap token: on the control plane run ${adminRejoinLine(nodeName)}, then run the printed command here with --node-name ${node} --force, or give the token to "kubejoin agent --token-file <file>", which joins again by itself.`;
}

export async function rotate(installed: InstalledCredential | undefined, opts: RotateOptions = {}): Promise<RotationResult> {
  if (!installed) return rotateLocked(installed, opts); // not joined: reported by currentCredential
  // One run at a time (docs/stores.md §8): a join, a reset or another rotation on this store
  // waits, or this one does. The credential is read again under the lock.
  const lock = {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.lockWaitMs !== undefined ? { waitMs: opts.lockWaitMs } : {}),
    ...(opts.onProgress ? { onWait: opts.onProgress } : {}),
  };
  return withRunLocks(installed.lockDirs, lock, () => rotateLocked(installed, opts));
}

async function rotateLocked(installed: InstalledCredential | undefined, opts: RotateOptions): Promise<RotationResult> {
  const now = opts.now ?? Date.now;
  const say = opts.onProgress ?? ((): void => {});
  const { pair, facts: previous } = await currentCredential(installed, now());
  const store = installed!;
  const subject = nodeSubject(previous.nodeName!);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_ROTATION_TIMEOUT_MS;
  // The rotation's deadline and the caller's cancel, one signal, released when the rotation
  // ends: AbortSignal.any() on the agent's lifelong signal left a WeakRef behind per rotation
  // (Node 20), which the soak test saw grow (docs/performance.md, "Long runs").
  const stop = new AbortController();
  const deadline = setTimeout(() => stop.abort(new DOMException('the rotation timed out', 'TimeoutError')), timeoutMs);
  deadline.unref();
  const cancel = (): void => stop.abort(opts.signal?.reason);
  if (opts.signal?.aborted) cancel();
  else opts.signal?.addEventListener('abort', cancel, { once: true });
  const signal = stop.signal;
  // The one node session (docs/protocol.md §9): the current certificate, the stored CA, the proxy.
  // Creating the CSR is its first call: while the cluster is away it gives up after
  // REACH_RETRY_MS, so the caller (the agent's backoff, or the operator) decides what's next.
  const session = openNodeSession(store.cluster, pair, { proxy: opts.proxy, timeoutMs: REQUEST_TIMEOUT_MS, signal });
  const prove = async (candidate: CertAndKey): Promise<Identity> => {
    const proof = openNodeSession(store.cluster, candidate, { proxy: opts.proxy, timeoutMs: REQUEST_TIMEOUT_MS, signal });
    try {
      return await proveIdentity(proof, subject.commonName, 'the new certificate', '; the current credential is unchanged');
    } finally {
      proof.close();
    }
  };
  try {
    // A rotation that was verified but not committed when the process died: commit it.
    const uncommitted = await store.loadUncommitted();
    // (It may be the very pair load() recovered, when the kill fell between the key and cert writes.)
    if (uncommitted && certificateFacts(uncommitted.certPem).notAfterMs > now()) {
      say('finishing a rotation that was verified but not stored when the last run stopped');
      const identity = await prove(uncommitted);
      await store.replace(uncommitted.certPem, uncommitted.keyPem);
      const key = loadClientKey(uncommitted.keyPem);
      return { csrName: csrName(key.spki, subject, USAGES), reused: true, previous, current: certificateFacts(uncommitted.certPem), identity };
    }
    let requested = '(not created)';
    const slot: KeySlot = { load: () => store.loadRotationKey(), save: (pem) => store.saveRotationKey(pem) };
    const issued = await obtainCertificate(session, slot, subject, {
      ...(opts.expirationSeconds !== undefined ? { expirationSeconds: opts.expirationSeconds } : {}),
      cas: certificatesOf(store.cluster.caPem),
      say,
      run: 'rotation',
      reach: { ...session, retryUntil: Date.now() + REACH_RETRY_MS },
      onRequested: (r) => {
        requested = r.csr.name;
        say(
          r.csr.reused ? `reusing certificate request ${r.csr.name} from an earlier run` : `created certificate request ${r.csr.name} as ${subject.commonName}`,
        );
      },
    }).catch((err: unknown) => {
      if (stop.signal.aborted && !opts.signal?.aborted && err instanceof KubejoinError && err.category === 'timeout') {
        throw new KubejoinError('timeout', `certificate request ${requested} was not approved and issued within ${humanDuration(timeoutMs)}`, {
          hint: `Approve it ("kubectl certificate approve ${requested}") and run "kubejoin renew" again: the request is reused.`,
        });
      }
      return asRotationError(err);
    });
    say(`issued: serial ${issued.info.serialNumber}, valid until ${issued.info.notAfter}`);
    const identity = await prove({ certPem: issued.pem, keyPem: issued.key.pem });
    await store.replace(issued.pem, issued.key.pem);
    say(`stored: the new certificate replaced serial ${previous.serialNumber}`);
    return { csrName: issued.csr.name, reused: issued.csr.reused, previous, current: certificateFacts(issued.pem), identity };
  } catch (err) {
    if (opts.signal?.aborted) throw new KubejoinError('internal', 'the rotation was cancelled; the current credential is unchanged');
    // A denied request will never be issued: its key is useless (the join does the same).
    if (err instanceof KubejoinError && err.category === 'certificate-denied') await store.discardRotationKey().catch(() => undefined);
    throw err;
  } finally {
    session.close();
    clearTimeout(deadline);
    opts.signal?.removeEventListener('abort', cancel);
  }
}

/** The CSR module speaks of bootstrap tokens; here the node's own certificate was refused. */
function asRotationError(err: unknown): never {
  if (err instanceof KubejoinError && err.category === 'token-refused') {
    const status = /HTTP (\d{3})/.exec(err.message)?.[1] ?? '401/403';
    throw new KubejoinError('credential-refused', `the cluster refused the node's current certificate while requesting a new one (HTTP ${status})`, {
      hint:
        status === '403'
          ? "Nodes (group system:nodes) must be allowed to create certificate signing requests; check the cluster's Node authorizer and RBAC."
          : 'The cluster no longer trusts this certificate (its CA changed?): join again with a new token.',
    });
  }
  throw err;
}
