import type { Identity } from '../contract/index.js';
import { USAGES } from '../csr/api.js';
import { checkIssuedCertificate } from '../csr/check.js';
import { generateClientKey, loadClientKey, type ClientKey } from '../csr/key.js';
import { csrName } from '../csr/name.js';
import { nodeSubject } from '../csr/pkcs10.js';
import { requestCertificate } from '../csr/request.js';
import { waitForCertificate } from '../csr/wait.js';
import { KubejoinError } from '../errors.js';
import { certificatesOf } from '../protocol/pin.js';
import { lockDirsOf, type CertAndKey, type InstalledCredential } from '../store/installed.js';
import { withRunLocks } from '../store/lock.js';
import { nodeSession, whoIsThis } from './cluster-view.js';
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
      {
        hint: 'Join again with a new bootstrap token ("kubejoin token create" on the control plane, then "kubejoin join …").',
      },
    );
  }
  if (!facts.nodeName) throw new KubejoinError('invalid-input', `the stored certificate's subject is ${facts.subject}, not a node's (CN=system:node:<name>)`);
  return { pair, facts };
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
  return withRunLocks(lockDirsOf(installed), lock, () => rotateLocked(installed, opts));
}

async function rotateLocked(installed: InstalledCredential | undefined, opts: RotateOptions): Promise<RotationResult> {
  const now = opts.now ?? Date.now;
  const say = opts.onProgress ?? ((): void => {});
  const { pair, facts: previous } = await currentCredential(installed, now());
  const store = installed!;
  const nodeName = previous.nodeName!;
  const subject = nodeSubject(nodeName);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_ROTATION_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
  const session = nodeSession(store.cluster, pair, { timeoutMs: REQUEST_TIMEOUT_MS, signal });
  try {
    // A rotation that was verified but not committed when the process died: commit it.
    const uncommitted = await store.loadUncommitted();
    // (It may be the very pair load() recovered, when the kill fell between the key and cert writes.)
    if (uncommitted && certificateFacts(uncommitted.certPem).notAfterMs > now()) {
      say('finishing a rotation that was verified but not stored when the last run stopped');
      const identity = await prove(uncommitted, store, subject.commonName, signal);
      await store.replace(uncommitted.certPem, uncommitted.keyPem);
      const key = loadClientKey(uncommitted.keyPem);
      return { csrName: csrName(key.spki, subject, USAGES), reused: true, previous, current: certificateFacts(uncommitted.certPem), identity };
    }
    const key = await rotationKey(store, say);
    const api = { server: store.cluster.server, agent: session.agent, timeoutMs: REQUEST_TIMEOUT_MS, signal };
    // Creating the CSR is the first call: while the cluster is away it gives up after
    // REACH_RETRY_MS, so the caller (the agent's backoff, or the operator) decides what's next.
    const reach = { ...api, retryUntil: Date.now() + REACH_RETRY_MS };
    const csr = await requestCertificate(reach, key, subject, opts.expirationSeconds !== undefined ? { expirationSeconds: opts.expirationSeconds } : {}).catch(
      asRotationError,
    );
    say(csr.reused ? `reusing certificate request ${csr.name} from an earlier run` : `created certificate request ${csr.name} as ${subject.commonName}`);
    const pem = await waitForCertificate(
      api,
      { name: csr.name, uid: csr.uid, resourceVersion: csr.resourceVersion, onProgress: (m) => say(`${csr.name}: ${m}`) },
      csr.reused ? csr.object : undefined,
    ).catch((err: unknown) => {
      if (deadline.aborted && !opts.signal?.aborted) {
        throw new KubejoinError('timeout', `certificate request ${csr.name} was not approved and issued within ${humanDuration(timeoutMs)}`, {
          hint: `Approve it ("kubectl certificate approve ${csr.name}") and run "kubejoin renew" again: the request is reused.`,
        });
      }
      return asRotationError(err);
    });
    const info = checkIssuedCertificate(pem, key.publicKey, subject, certificatesOf(store.cluster.caPem));
    say(`issued: serial ${info.serialNumber}, valid until ${info.notAfter}`);
    const identity = await prove({ certPem: pem, keyPem: key.pem }, store, subject.commonName, signal);
    await store.replace(pem, key.pem);
    say(`stored: the new certificate replaced serial ${previous.serialNumber}`);
    return { csrName: csr.name, reused: csr.reused, previous, current: certificateFacts(pem), identity };
  } catch (err) {
    if (opts.signal?.aborted) throw new KubejoinError('internal', 'the rotation was cancelled; the current credential is unchanged');
    // A denied request will never be issued: its key is useless (the join does the same).
    if (err instanceof KubejoinError && err.category === 'certificate-denied') await store.discardRotationKey().catch(() => undefined);
    throw err;
  } finally {
    session.close();
  }
}

/** The kept key of an unfinished rotation (its CSR is found again), else a new one, saved first. */
async function rotationKey(store: InstalledCredential, say: (m: string) => void): Promise<ClientKey> {
  const pending = await store.loadRotationKey();
  if (pending) {
    try {
      const key = loadClientKey(pending);
      say('reusing the key of an unfinished rotation');
      return key;
    } catch {
      say('the kept key of an unfinished rotation is unusable; starting over with a new key');
    }
  }
  const key = generateClientKey();
  await store.saveRotationKey(key.pem);
  return key;
}

/** The new pair must be accepted by the cluster as the same node before it replaces the old one. */
async function prove(pair: CertAndKey, store: InstalledCredential, expected: string, signal: AbortSignal): Promise<Identity> {
  const session = nodeSession(store.cluster, pair, { timeoutMs: REQUEST_TIMEOUT_MS, signal });
  try {
    const who = await whoIsThis(session);
    if (who.kind === 'unreachable')
      throw new KubejoinError('timeout', `cannot verify the new certificate: ${who.message}; the current credential is unchanged`);
    if (who.kind === 'refused')
      throw new KubejoinError('certificate-denied', `the cluster does not accept the new certificate (${who.message}); the current credential is unchanged`);
    if (who.value.username !== expected) {
      throw new KubejoinError(
        'certificate-denied',
        `the cluster sees the new certificate as "${who.value.username}", expected "${expected}"; the current credential is unchanged`,
      );
    }
    return who.value;
  } finally {
    session.close();
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
