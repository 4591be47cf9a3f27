import { stat } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { STATE_EXIT_CODES, type CredentialState, type CredentialStatus, type PendingRequest } from '../contract/index.js';
import { USAGES } from '../csr/api.js';
import { loadClientKey } from '../csr/key.js';
import { csrName } from '../csr/name.js';
import { nodeSubject } from '../csr/pkcs10.js';
import { KubejoinError } from '../errors.js';
import { CURRENT_PEM } from '../store/file.js';
import { defaultCertDir } from '../store/paths.js';
import { kubeconfigPathOf, locateCredential, type InstalledCredential } from '../store/installed.js';
import { pendingJoinEntries } from '../store/keychain.js';
import { readJoinPendingKey } from './leftovers.js';
import { csrStanding } from './cluster-view.js';
import { openNodeSession, whoAmI, type ClusterApi } from '../session/index.js';
import type { ProxyConfig } from '../transport/proxy.js';
import { rejoinHint } from './rotate.js';
import { certificateDeadline, certificateFacts, humanDuration, rotationDeadline } from './deadline.js';

// `kubejoin status`: joined or not, as whom, until when, and what waits. Reads the stored
// credential, then asks the cluster with it (SelfSubjectReview); offline it says so and
// shows what is stored. Each state has its exit code (docs/protocol.md §7).

export interface StatusOptions {
  kubeconfig?: string;
  /** File store: where to look for a join's pending key on an unjoined machine. */
  certDir?: string;
  /** Names the pending join's CSR on an unjoined file-store machine (default: the host name). */
  nodeName?: string;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** How this machine reaches the cluster (HTTPS_PROXY, --proxy; undefined: directly). */
  proxy?: ProxyConfig | undefined;
  now?: () => number;
  /** Replaces the per-certificate jitter of the rotation-due time (tests). */
  random?: () => number;
}

const STATUS_TIMEOUT_MS = 10_000;

function approve(name: string): string {
  return `kubectl certificate approve ${name}`;
}

/** The deterministic CSR name of a kept key, or undefined if the key is unusable. */
function nameOf(keyPem: string, nodeName: string): string | undefined {
  try {
    return csrName(loadClientKey(keyPem).spki, nodeSubject(nodeName), USAGES);
  } catch {
    return undefined;
  }
}

function finish(state: CredentialState, summary: string, rest: Omit<CredentialStatus, 'state' | 'exitCode' | 'summary'>): CredentialStatus {
  return { state, exitCode: STATE_EXIT_CODES[state], summary, ...rest };
}

export async function credentialStatus(opts: StatusOptions): Promise<CredentialStatus> {
  const now = (opts.now ?? Date.now)();
  const installed = await locateCredential({ env: opts.env, ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}) });
  const pair = await installed?.load();
  if (!installed || !pair) return notJoined(opts, installed);

  const facts = certificateFacts(pair.certPem);
  const nodeName = facts.nodeName;
  const due = opts.random ? rotationDeadline(facts.notBeforeMs, facts.notAfterMs, opts.random) : certificateDeadline(facts);
  const base = {
    ...(nodeName ? { nodeName } : {}),
    server: installed.cluster.server,
    certificate: {
      subject: facts.subject,
      serialNumber: facts.serialNumber,
      notBefore: facts.notBefore,
      notAfter: facts.notAfter,
      secondsLeft: Math.round((facts.notAfterMs - now) / 1000),
      rotationDue: new Date(due).toISOString(),
    },
    store: installed.describe(),
  };
  if (now >= facts.notAfterMs) {
    return finish('expired', `the client certificate expired ${humanDuration(now - facts.notAfterMs)} ago (${facts.notAfter})`, {
      ...base,
      hint: `An expired certificate cannot renew itself: j${rejoinHint(nodeName).slice(1)}`,
    });
  }

  // One attempt: status reports what it finds now (retryUntil: no retries).
  const session = openNodeSession(installed.cluster, pair, {
    proxy: opts.proxy,
    timeoutMs: opts.timeoutMs ?? STATUS_TIMEOUT_MS,
    retryUntil: Date.now(),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  try {
    const who = await whoAmI(session);
    const pending = await rotationPending(installed, nodeName, who.kind === 'ok' ? session : undefined);
    const withPending = pending ? { ...base, pending: [pending] } : base;
    if (who.kind === 'unreachable') {
      return finish('unreachable', `offline: ${who.message}; showing what is stored`, {
        ...withPending,
        identityProblem: who.message,
        hint: 'Check the network path to the API server; the stored certificate is valid until its notAfter.',
      });
    }
    if (who.kind === 'refused') {
      return finish('refused', `the cluster refuses the stored credential (${who.message})`, {
        ...withPending,
        identityProblem: `the cluster refuses the stored credential (${who.message})`,
        hint: `The cluster no longer trusts this certificate (revoked, or its CA changed). ${rejoinHint(nodeName)}`,
      });
    }
    const expected = nodeName ? `system:node:${nodeName}` : '';
    if (who.value.username !== expected) {
      return finish('refused', `the cluster sees this credential as "${who.value.username}", not "${expected}"`, { ...withPending, identity: who.value });
    }
    const rotation = now >= due ? 'rotation is due now ("kubejoin renew", or let "kubejoin agent" do it)' : `rotation due in ${humanDuration(due - now)}`;
    return finish('joined', `joined as ${who.value.username}; the certificate is valid for ${humanDuration(facts.notAfterMs - now)}; ${rotation}`, {
      ...withPending,
      identity: who.value,
    });
  } finally {
    session.close();
  }
}

/** A rotation whose key is kept: its CSR name, and how it stands if the cluster can be asked. */
async function rotationPending(
  installed: InstalledCredential,
  nodeName: string | undefined,
  session: ClusterApi | undefined,
): Promise<PendingRequest | undefined> {
  const keyPem = await installed.loadRotationKey();
  if (!keyPem || !nodeName) return undefined;
  const where = installed.rotationKeyLocation;
  let name: string;
  try {
    name = csrName(loadClientKey(keyPem).spki, nodeSubject(nodeName), USAGES);
  } catch {
    return { kind: 'rotation', keyLocation: where, state: 'unknown' }; // unusable: the next rotation starts over
  }
  const request: PendingRequest = { kind: 'rotation', csrName: name, keyLocation: where, approveCommand: approve(name) };
  if (!session) return { ...request, state: 'unknown' };
  const standing = await csrStanding(session, name);
  return { ...request, state: standing.kind === 'ok' ? standing.value : 'unknown' };
}

/** Where status looked, for the not-joined summary: the kubeconfig path, and the cert dir. */
async function lookedAt(opts: StatusOptions): Promise<string> {
  const kubeconfig = kubeconfigPathOf({ env: opts.env, ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}) });
  const certDir = resolve(opts.certDir ?? defaultCertDir(opts.env));
  const loose = await stat(join(certDir, CURRENT_PEM)).then(
    (st) => st.isFile(),
    () => false,
  );
  return loose
    ? `no kubeconfig from a join at ${kubeconfig}; ${certDir} holds ${CURRENT_PEM}, but only the kubeconfig the join wrote says which cluster it is for (pass it with --kubeconfig-out)`
    : `no kubeconfig from a join at ${kubeconfig}, and no ${CURRENT_PEM} in ${certDir}`;
}

async function notJoined(opts: StatusOptions, installed: InstalledCredential | undefined): Promise<CredentialStatus> {
  const pending: PendingRequest[] = [];
  // File store: the join's pending key is not tied to a node name; the CSR name needs one.
  const fileKey = await readJoinPendingKey(installed, opts.certDir ?? defaultCertDir(opts.env));
  if (fileKey) {
    const nodeName = opts.nodeName ?? os.hostname().toLowerCase();
    const name = nameOf(fileKey.keyPem, nodeName);
    pending.push({ kind: 'join', keyLocation: fileKey.path, ...(name ? { csrName: name, approveCommand: approve(name) } : {}) });
  }
  const entries = await pendingJoinEntries(opts.env).catch((err: unknown) => {
    if (err instanceof KubejoinError) return [];
    throw err;
  });
  for (const e of entries) {
    const name = nameOf(e.keyPem, e.nodeName);
    pending.push({ kind: 'join', keyLocation: `keychain account "${e.account}"`, ...(name ? { csrName: name, approveCommand: approve(name) } : {}) });
  }
  const hint = pending.length
    ? 'A join is waiting for its certificate: approve the request on the control plane, then run the same "kubejoin join …" again (it reuses the request).'
    : 'Join with "kubejoin join <host:port> --token-file … --discovery-token-ca-cert-hash sha256:…".';
  const where = installed ? `${installed.kubeconfigPath} names a credential that is gone` : await lookedAt(opts);
  return finish('not-joined', `not joined: ${where}`, { ...(pending.length ? { pending } : {}), ...(installed ? { store: installed.describe() } : {}), hint });
}
