import type { X509Certificate } from 'node:crypto';
import type { Identity, IssuedCertificate, JoinResult } from '../contract/index.js';
import type { PhaseClock } from './phase-clock.js';
import { checkIssuedCertificate } from '../csr/check.js';
import { loadClientKey } from '../csr/key.js';
import type { Subject } from '../csr/pkcs10.js';
import type { Store, ExistingCredential } from '../store/types.js';

export interface AlreadyJoined {
  existing: ExistingCredential;
  certificate: IssuedCertificate;
}

/**
 * The credential this store already holds, when it is valid for this node and this cluster
 * (our subject, chains to the discovered CA, within its validity, key matching): then `join`
 * has nothing to do (docs/stores.md §6). A pending key left by the run that stored it (killed
 * after the commit) is dropped. Undefined, with the reason, when the join must go ahead.
 */
export async function findAlreadyJoined(store: Store, subject: Subject, cas: readonly X509Certificate[]): Promise<{ found?: AlreadyJoined; why?: string }> {
  const existing = await store.loadCredential();
  if (!existing) return {};
  let certificate: IssuedCertificate;
  try {
    const key = loadClientKey(existing.keyPem);
    certificate = checkIssuedCertificate(existing.certPem, key.publicKey, subject, cas);
    const pending = await store.loadPendingKey();
    if (pending && loadClientKey(pending).spki.equals(key.spki)) await store.discardPending();
  } catch (err) {
    return {
      why: `the credential in ${existing.stored.location} is replaced: ${(err as Error).message.replace(/^the certificate issued by the cluster is not usable: /, '')}`,
    };
  }
  return { found: { existing, certificate } };
}

/** The result of a join that found this node already joined: verified with the stored credential. */
export async function alreadyJoinedResult(
  already: AlreadyJoined,
  ctx: { nodeName: string; cluster: { server: string }; clock: PhaseClock; startedAt: number; verify: (certPem: string, keyPem: string) => Promise<Identity> },
): Promise<JoinResult> {
  const { existing, certificate } = already;
  const identity = await ctx.clock.run(
    'verify-credentials',
    () => ctx.verify(existing.certPem, existing.keyPem),
    (w) => `the cluster sees ${w.username} (${w.groups.join(', ')}) with the stored credential`,
  );
  return {
    ok: true,
    alreadyJoined: true,
    nodeName: ctx.nodeName,
    server: ctx.cluster.server,
    identity,
    certificate,
    store: existing.stored,
    csrName: '',
    durationMs: Math.round(performance.now() - ctx.startedAt),
    phaseDurationsMs: ctx.clock.durations,
  };
}
