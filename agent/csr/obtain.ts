import type { X509Certificate } from 'node:crypto';
import type { IssuedCertificate } from '../contract/index.js';
import type { ClockReading } from '../protocol/clock-skew.js';
import type { ClusterApi } from '../session/index.js';
import { checkIssuedCertificate } from './check.js';
import { generateClientKey, loadClientKey, type ClientKey } from './key.js';
import type { Subject } from './pkcs10.js';
import { requestCertificate, type RequestedCsr } from './request.js';
import { waitForCertificate } from './wait.js';

// One certificate pipeline, shaped like client-go's certificate manager (docs/protocol.md §4
// and §9), for the first join (the bootstrap token's session) and for every rotation (the
// node's own session): a key, kept before the request is sent so a re-run finds its own CSR;
// the request, created or reused; the wait until it is issued; the check of what was issued.
// Storing and proving the new pair is the caller's (the join stages, proves, then commits; a
// rotation proves, then replaces).

/** Where the pipeline keeps its key between runs (the join's pending key, or a rotation's). */
export interface KeySlot {
  load(): Promise<string | undefined>;
  save(keyPem: string): Promise<void>;
}

export interface Requested {
  key: ClientKey;
  csr: RequestedCsr;
  /** The key came from an earlier, unfinished run. */
  keptKey: boolean;
}

export interface Issued {
  pem: string;
  info: IssuedCertificate;
}

/** The kept key of an unfinished run (its CSR is found again), else a new one, saved first. */
export async function keyFor(slot: KeySlot, say: (m: string) => void, run = 'run'): Promise<{ key: ClientKey; kept: boolean }> {
  const kept = await slot.load();
  if (kept) {
    try {
      const key = loadClientKey(kept);
      say(`reusing the key of an earlier, unfinished ${run}`);
      return { key, kept: true };
    } catch {
      say(`the kept key of an earlier, unfinished ${run} is unusable; starting over with a new key`);
    }
  }
  const key = generateClientKey();
  await slot.save(key.pem);
  return { key, kept: false };
}

/** The key, then the CSR under its deterministic name (created, or an earlier run's reused). */
export async function requestWithKey(
  api: ClusterApi,
  slot: KeySlot,
  subject: Subject,
  opts: { expirationSeconds?: number; say: (m: string) => void; run?: 'join' | 'rotation' },
): Promise<Requested> {
  const { key, kept } = await keyFor(slot, opts.say, opts.run);
  const csr = await requestCertificate(api, key, subject, opts.expirationSeconds !== undefined ? { expirationSeconds: opts.expirationSeconds } : {});
  return { key, csr, keptKey: kept };
}

/** Waits until the request is issued and checks the certificate (§4.7). */
export async function awaitIssued(
  api: ClusterApi,
  requested: Requested,
  subject: Subject,
  trust: { cas: readonly X509Certificate[]; clock?: ClockReading | undefined },
  say: (m: string, attempt?: number) => void,
): Promise<Issued> {
  const { csr, key } = requested;
  const pem = await waitForCertificate(
    { ...api, onRetry: say },
    { name: csr.name, uid: csr.uid, resourceVersion: csr.resourceVersion, onProgress: say },
    csr.reused ? csr.object : undefined,
  );
  return { pem, info: checkIssuedCertificate(pem, key.publicKey, subject, trust.cas, new Date(), trust.clock) };
}

/** Both steps, for a caller without phases (a rotation). */
export async function obtainCertificate(
  api: ClusterApi,
  slot: KeySlot,
  subject: Subject,
  opts: {
    expirationSeconds?: number;
    cas: readonly X509Certificate[];
    say: (m: string) => void;
    run?: 'join' | 'rotation';
    onRequested?: (r: Requested) => void;
    /** The API for the request step when it retries differently (default `api`). */
    reach?: ClusterApi;
  },
): Promise<Requested & Issued> {
  const requested = await requestWithKey(opts.reach ?? api, slot, subject, opts);
  opts.onRequested?.(requested);
  const issued = await awaitIssued(api, requested, subject, { cas: opts.cas }, opts.say);
  return { ...requested, ...issued };
}
