import { tokenSecretName } from '../protocol/token.js';
import type { AdminClient } from './client.js';
import { KUBELET_CLIENT_SIGNER, bindingOf } from './bound.js';
import { decide, isApproved, isPending, ownedTokenId, type CsrLike, type Decision } from './approve-decide.js';
import { listBoundTokenSecrets, listKubeletCsrs, setCondition } from './csr-client.js';
import { runPassLoop, type WatchOptions } from './pass-loop.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './request-timeout.js';

export { decisionLine } from './approve-decide.js';
import { dataOf, type SecretLike } from './token-secret.js';

// `cluster approve`: the approver of CSRs made with bound tokens (docs/enrollment.md §2). Each
// pass lists the kubelet client CSRs, decides every pending one it owns (oldest first), and
// spends each single-use token whose approved CSR has its certificate. Restart-safe: it keeps
// no state of its own; every write has the object's version or UID as a precondition.

export type ApproveApi = Pick<AdminClient, 'getSecret' | 'deleteSecret' | 'watch'> & Parameters<typeof listKubeletCsrs>[0];

/** What a pass did, one entry per write. */
export type Outcome = (Decision & { kind: 'decision' }) | { kind: 'spent'; csr: string; tokenId: string; node?: string; message: string };

export interface PassResult {
  outcomes: Outcome[];
  /** Single-use tokens whose approved CSR still waits for its certificate. */
  waiting: number;
  /** CSRs that changed under a write (looked at again in the next pass). */
  changed: number;
  /** The version the list of CSRs was at: where the watch resumes. */
  resourceVersion?: string;
}

const CSRS_PATH = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

/** Tokens decided at once (each a GET at most and one PUT per CSR). */
const DECISIONS_AT_ONCE = 8;

const created = (c: CsrLike): number => {
  const t = (c.metadata as { creationTimestamp?: Date | string } | undefined)?.creationTimestamp;
  return t === undefined ? 0 : new Date(t).getTime();
};

export async function approvePass(api: ApproveApi, now: () => number, onOutcome: (o: Outcome) => void = () => undefined): Promise<PassResult> {
  const listedCsrs = await listKubeletCsrs(api);
  const csrs = [...listedCsrs].sort((a, b) => created(a) - created(b) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  const result: PassResult = { outcomes: [], waiting: 0, changed: 0, ...(listedCsrs.resourceVersion ? { resourceVersion: listedCsrs.resourceVersion } : {}) };
  const emit = (o: Outcome): void => {
    result.outcomes.push(o);
    onOutcome(o);
  };
  // The approved CSR (any approver's) that used each owned token: a single-use token is spent.
  const usedBy = new Map<string, CsrLike>();
  for (const c of csrs) {
    const id = ownedTokenId(c);
    if (id !== undefined && isApproved(c) && !usedBy.has(id)) usedBy.set(id, c);
  }
  // Bound tokens' Secrets in one list; a token of the bound group without our label (made by
  // hand) is read on its own when one of its CSRs waits.
  const secrets = new Map<string, SecretLike | undefined>();
  for (const s of await listBoundTokenSecrets(api)) secrets.set(dataOf(s, 'token-id'), s);
  const secretOf = async (id: string): Promise<SecretLike | undefined> => {
    if (!secrets.has(id)) secrets.set(id, await api.getSecret(tokenSecretName(id)));
    return secrets.get(id);
  };

  // Pending CSRs grouped by token, oldest first: one token's CSRs one after the other (a
  // single-use token is used once), different tokens a few at a time.
  const byToken = new Map<string, CsrLike[]>();
  for (const csr of csrs) {
    const id = ownedTokenId(csr);
    if (id === undefined || !isPending(csr)) continue;
    byToken.set(id, [...(byToken.get(id) ?? []), csr]);
  }
  const decideToken = async (id: string, pending: readonly CsrLike[]): Promise<void> => {
    const secret = await secretOf(id);
    for (const csr of pending) {
      const d = decide(csr, id, secret, usedBy.get(id)?.metadata?.name, now());
      const outcome = await setCondition(api, csr, { type: d.verdict === 'approve' ? 'Approved' : 'Denied', reason: d.reason, message: d.message });
      if (outcome === 'changed') result.changed++;
      if (outcome !== 'done') continue;
      emit({ kind: 'decision', ...d });
      if (d.verdict === 'approve' && !usedBy.has(id)) usedBy.set(id, csr);
    }
  };
  const queue = [...byToken];
  await Promise.all(
    Array.from({ length: Math.min(DECISIONS_AT_ONCE, queue.length) }, async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) await decideToken(...next);
    }),
  );

  // Spent only once the certificate is issued: the device is then no longer using the token
  // (a join that failed before its CSR was approved keeps it; docs/enrollment.md §2).
  for (const [id, csr] of usedBy) {
    const secret = secrets.get(id);
    if (secret === undefined || !bindingOf(secret.metadata).singleUse) continue;
    if (!csr.status?.certificate) {
      result.waiting++;
      continue;
    }
    const name = csr.metadata?.name ?? '';
    const gone = await api.deleteSecret(tokenSecretName(id), secret.metadata?.uid);
    if (gone === 'deleted') {
      emit({
        kind: 'spent',
        csr: name,
        tokenId: id,
        ...nodeOf(secret),
        message: `kubejoin: single-use token ${id} deleted: certificate signing request ${name} was issued`,
      });
    }
    secrets.delete(id);
  }
  return result;
}

const nodeOf = (secret: SecretLike): { node?: string } => {
  const n = bindingOf(secret.metadata).nodeName;
  return n === undefined ? {} : { node: n };
};

/**
 * `cluster approve --once`: a pass, and while a single-use token waits for its certificate to
 * be issued (or a CSR changed under a write), another, within one --request-timeout (30 s when
 * 0). Returns how many single-use tokens still wait (the next run deletes them).
 */
export async function approveOnce(api: ApproveApi, now: () => number, onOutcome: (o: Outcome) => void, signal: AbortSignal): Promise<number> {
  const until = Date.now() + (api.target.requestTimeoutMs || DEFAULT_REQUEST_TIMEOUT_MS);
  for (;;) {
    const r = await approvePass(api, now, onOutcome);
    if ((r.waiting === 0 && r.changed === 0) || Date.now() > until || signal.aborted) return r.waiting;
    await new Promise((res) => setTimeout(res, 500));
  }
}

export interface ApproveWatchOptions extends WatchOptions {
  onOutcome: (o: Outcome) => void;
}

/**
 * `cluster approve --watch`: a pass now, then one after every change of a kubelet client CSR,
 * every resync interval, and when the watch has been silent for 15 s (the admin side's one pass
 * loop, pass-loop.ts; docs/protocol.md §10.6), until `signal` aborts.
 */
export function watchAndApprove(api: ApproveApi, opts: ApproveWatchOptions): Promise<void> {
  const { now, onOutcome, ...loop } = opts;
  return runPassLoop({
    ...loop,
    pass: async () => ({ versions: { [CSRS_PATH]: (await approvePass(api, now, onOutcome)).resourceVersion } }),
    watch: (...args) => api.watch(...args),
    // A watch silent this long past its timeout is replaced: --request-timeout, as every call.
    graceMs: api.target.requestTimeoutMs,
    watches: [
      {
        path: CSRS_PATH,
        query: { fieldSelector: `spec.signerName=${KUBELET_CLIENT_SIGNER}` },
        op: { verb: 'watch', resource: 'certificatesigningrequests.certificates.k8s.io' },
      },
    ],
  });
}
