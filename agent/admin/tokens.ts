import { KubejoinError } from '../errors.js';
import { TOKEN_SECRET_TYPE, tokenSecretName } from '../protocol/token.js';
import type { AdminClient } from './client.js';
import { formatRfc3339Utc, parseGoRfc3339 } from '../protocol/go-time.js';
import { TOKEN_NAMESPACE, dataOf, shouldPrune, tokenFromSecret, tokenToSecret, type SecretLike, type TokenInfo, type TokenSpec } from './token-secret.js';

// Token administration against the API: create (never overwrite), list (malformed Secrets are
// reported, not fatal), delete, prune (the TokenCleaner's rule, UID precondition).

/** The calls these operations make (AdminClient implements it; tests may fake it). */
export type TokenApi = Pick<AdminClient, 'createSecret' | 'listTokenSecrets' | 'deleteSecret'>;

/** Writes the token's Secret. An existing id is an error, never an overwrite. Returns the expiration. */
export async function createToken(api: TokenApi, spec: TokenSpec, nowMs: number): Promise<{ expires?: string }> {
  const secret = tokenToSecret(spec, nowMs);
  if (!(await api.createSecret(secret))) {
    throw new KubejoinError(
      'invalid-input',
      `a bootstrap token with id "${spec.token.id}" already exists (Secret ${TOKEN_NAMESPACE}/${secret.metadata.name})`,
      {
        hint: `Create one with another id (omit the token to get a random one), or delete the old one first: kubejoin token delete ${spec.token.id}`,
      },
    );
  }
  const expires = secret.data.expiration === undefined ? undefined : Buffer.from(secret.data.expiration, 'base64').toString('utf8');
  return expires === undefined ? {} : { expires };
}

export interface TokenList {
  tokens: TokenInfo[];
  /** One sentence per malformed Secret (never containing its token secret). */
  problems: string[];
}

export function readTokens(secrets: readonly SecretLike[]): TokenList {
  const out: TokenList = { tokens: [], problems: [] };
  for (const s of secrets) {
    if (s.type !== TOKEN_SECRET_TYPE) continue;
    const parsed = tokenFromSecret(s);
    if ('error' in parsed) out.problems.push(parsed.error);
    else out.tokens.push(parsed);
  }
  out.tokens.sort((a, b) => a.id.localeCompare(b.id));
  return out;
}

export async function listTokens(api: TokenApi): Promise<TokenList> {
  return readTokens(await api.listTokenSecrets());
}

export type DeleteResult = { id: string; outcome: 'deleted' | 'not-found' };

export async function deleteTokens(api: TokenApi, ids: readonly string[]): Promise<DeleteResult[]> {
  const results: DeleteResult[] = [];
  for (const id of ids) {
    const outcome = await api.deleteSecret(tokenSecretName(id));
    results.push({ id, outcome: outcome === 'deleted' ? 'deleted' : 'not-found' });
  }
  return results;
}

export interface PruneDecision {
  name: string;
  uid?: string;
  /** Why it goes: "expired at <time>" or "unparseable expiration …". */
  reason: string;
}

/** The TokenCleaner's choice among the Secrets of kube-system, with a reason for each. */
export function planPrune(secrets: readonly SecretLike[], nowMs: number): PruneDecision[] {
  const out: PruneDecision[] = [];
  for (const s of secrets) {
    if (!shouldPrune(s, nowMs)) continue;
    const expiration = dataOf(s, 'expiration');
    const at = parseGoRfc3339(expiration);
    const d: PruneDecision = {
      name: s.metadata?.name ?? '',
      reason: at === undefined ? `its expiration ${JSON.stringify(expiration)} is not RFC 3339, so it counts as expired` : `expired at ${formatRfc3339Utc(at)}`,
    };
    if (s.metadata?.uid) d.uid = s.metadata.uid;
    out.push(d);
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export interface PruneResult extends PruneDecision {
  outcome: 'deleted' | 'would-delete' | 'already-gone' | 'changed';
}

/** Deletes what planPrune chose, each with its UID as a precondition (as the TokenCleaner does). */
export async function pruneTokens(api: TokenApi, nowMs: number, dryRun: boolean): Promise<PruneResult[]> {
  const plan = planPrune(await api.listTokenSecrets(), nowMs);
  const results: PruneResult[] = [];
  for (const d of plan) {
    if (dryRun) {
      results.push({ ...d, outcome: 'would-delete' });
      continue;
    }
    const outcome = await api.deleteSecret(d.name, d.uid);
    results.push({ ...d, outcome: outcome === 'deleted' ? 'deleted' : outcome === 'not-found' ? 'already-gone' : 'changed' });
  }
  return results;
}
