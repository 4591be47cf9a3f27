import { APPROVED_REASON, BOOTSTRAP_USER, BOUND_GROUP, DENIED_REASON, KUBELET_CLIENT_SIGNER, bindingOf } from './bound.js';
import { kubeletClientShape } from './csr-shape.js';
import { dataOf, expiryOf, type SecretLike } from './token-secret.js';

// The approver's rules for one CSR (docs/enrollment.md §2). Pure: the CSR, the Secret of the
// token that made it, what other CSRs already consumed, and the clock are parameters.

export interface CsrCondition {
  type: string;
  status?: string;
  reason?: string;
  message?: string;
}

/** The parts of a CertificateSigningRequest the approver reads. */
export interface CsrLike {
  metadata?: { name?: string; uid?: string; resourceVersion?: string };
  spec?: { request?: string; signerName?: string; usages?: string[]; username?: string; groups?: string[] };
  status?: { conditions?: CsrCondition[]; certificate?: string };
}

export interface Decision {
  verdict: 'approve' | 'deny';
  csr: string;
  tokenId: string;
  /** The node the CSR asks to be (when it parsed). */
  node?: string;
  /** The condition's reason and message; the message is what the device shows. */
  reason: string;
  message: string;
}

/**
 * The id of the bound token that made this CSR, or undefined when the approver does not own it:
 * another signer, a requester that is not a bootstrap token (a node renewing, an admin), or a
 * token outside the bound group (the stock approver's business).
 */
export function ownedTokenId(csr: CsrLike): string | undefined {
  const spec = csr.spec;
  if (spec?.signerName !== KUBELET_CLIENT_SIGNER) return undefined;
  if (!(spec.groups ?? []).includes(BOUND_GROUP)) return undefined;
  return BOOTSTRAP_USER.exec(spec.username ?? '')?.[1];
}

const has = (csr: CsrLike, type: string): boolean => (csr.status?.conditions ?? []).some((c) => c.type === type && c.status !== 'False');

/** Neither approved, denied nor failed. */
export function isPending(csr: CsrLike): boolean {
  return !has(csr, 'Approved') && !has(csr, 'Denied') && !has(csr, 'Failed');
}

export function isApproved(csr: CsrLike): boolean {
  return has(csr, 'Approved') && !has(csr, 'Denied') && !has(csr, 'Failed');
}

/**
 * Approve or deny a pending CSR the approver owns. `secret` is the token's Secret (undefined
 * when it is gone); `consumedBy` names an approved CSR that already used this token.
 */
export function decide(csr: CsrLike, tokenId: string, secret: SecretLike | undefined, consumedBy: string | undefined, nowMs: number): Decision {
  const name = csr.metadata?.name ?? '';
  const shape = kubeletClientShape(csr.spec?.request, csr.spec?.usages);
  const node = shape.ok ? { node: shape.nodeName } : {};
  const deny = (message: string): Decision => ({ verdict: 'deny', csr: name, tokenId, ...node, reason: DENIED_REASON, message: `kubejoin: ${message}` });
  if (secret === undefined) return deny(`token ${tokenId} no longer exists (deleted, pruned after it expired, or spent as single-use)`);
  if (dataOf(secret, 'token-id') !== tokenId) return deny(`the Secret of token ${tokenId} is malformed (its token-id differs)`);
  if (expiryOf(secret, nowMs).expired) {
    const at = dataOf(secret, 'expiration');
    return deny(`token ${tokenId} expired${at ? ` at ${at}` : ''}`);
  }
  const binding = bindingOf(secret.metadata);
  if (binding.nodeName === undefined) return deny(`token ${tokenId} is in group ${BOUND_GROUP} but bound to no node`);
  if (!shape.ok) return deny(`this is not a kubelet client request: ${shape.problem}`);
  if (shape.nodeName !== binding.nodeName) return deny(`token ${tokenId} is bound to ${binding.nodeName}, not ${shape.nodeName}`);
  if (binding.singleUse && consumedBy !== undefined && consumedBy !== name) {
    return deny(`single-use token ${tokenId} was already used (certificate signing request ${consumedBy})`);
  }
  return { verdict: 'approve', csr: name, tokenId, ...node, reason: APPROVED_REASON, message: `kubejoin: token ${tokenId} is bound to ${binding.nodeName}` };
}

/** One JSON line per decision, for logs (never the token secret: only its id). */
export function decisionLine(d: { verdict: string; csr: string; tokenId: string; node?: string; message: string }, nowMs: number): string {
  return `${JSON.stringify({ time: new Date(nowMs).toISOString(), decision: d.verdict, csr: d.csr, token: d.tokenId, ...(d.node ? { node: d.node } : {}), message: d.message })}\n`;
}
