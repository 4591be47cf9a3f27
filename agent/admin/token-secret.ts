import { UsageError } from '../errors.js';
import {
  EXTRA_GROUP_PATTERN,
  TOKEN_ID_PATTERN,
  TOKEN_SECRET_PREFIX,
  TOKEN_PATTERN,
  TOKEN_SECRET_TYPE,
  tokenSecretName,
  type BootstrapToken,
} from '../protocol/token.js';
import { GoParseError, formatRfc3339Utc, parseGoDuration, parseGoRfc3339 } from '../protocol/go-time.js';
import { BOUND_LABEL, NODE_ANNOTATION, SINGLE_USE_ANNOTATION, bindingOf } from './bound.js';

// A bootstrap token and its Secret (docs/protocol.md §1), both ways, with the exact rules the
// control plane applies: kubeadm's (create, list), the authenticator's, the BootstrapSigner's
// and the TokenCleaner's. Pure: the clock is a parameter.

export const TOKEN_NAMESPACE = 'kube-system';
export const KNOWN_USAGES = ['signing', 'authentication'] as const;
export type TokenUsage = (typeof KNOWN_USAGES)[number];

export const DEFAULT_TTL = '24h';
export const DEFAULT_USAGES: readonly TokenUsage[] = ['signing', 'authentication'];
export const DEFAULT_GROUPS: readonly string[] = ['system:bootstrappers:kubeadm:default-node-token'];

const KEY = {
  id: 'token-id',
  secret: 'token-secret',
  expiration: 'expiration',
  description: 'description',
  groups: 'auth-extra-groups',
  usagePrefix: 'usage-bootstrap-',
} as const;

/** The parts of a Secret these rules read; `data` values are base64, as the API serves them. */
export interface SecretLike {
  metadata?: { name?: string; namespace?: string; uid?: string; annotations?: Record<string, string> };
  type?: string;
  data?: Record<string, string>;
}

/** What to write: a validated token and its settings. */
export interface TokenSpec {
  token: BootstrapToken;
  /** Milliseconds; 0 = never expires. */
  ttlMs: number;
  usages: TokenUsage[];
  groups: string[];
  description?: string;
  /** Bound tokens (docs/enrollment.md): the only node name it may join as. */
  nodeName?: string;
  /** Deleted by the approver once its certificate is issued. */
  singleUse?: boolean;
}

/** A token as read back from its Secret (kubeadm's BootstrapTokenFromSecret). */
export interface TokenInfo {
  id: string;
  secret: string;
  description: string;
  /** RFC 3339 as stored; undefined = never expires. */
  expires?: string;
  expiresMs?: number;
  usages: string[];
  groups: string[];
  nodeName?: string;
  singleUse?: boolean;
}

// ---- validation of operator input (exit 2, before any server contact) ----

/** `--ttl`: a Go duration (24h, 1h30m, 90s); `0` = never. Negative is refused. */
export function parseTtl(value: string): number {
  let ns: bigint;
  try {
    ns = parseGoDuration(value.trim());
  } catch (err) {
    const why = err instanceof GoParseError ? err.message : String(err);
    throw new UsageError(`invalid --ttl ${JSON.stringify(value)}: ${why}`, 'Give a Go duration such as 24h, 1h30m or 90s; 0 means the token never expires.');
  }
  if (ns < 0n) {
    throw new UsageError(
      `invalid --ttl ${JSON.stringify(value)}: it is negative`,
      'Give a positive duration such as 24h, or 0 for a token that never expires.',
    );
  }
  return Number(ns / 1_000_000n);
}

/** Splits repeated or comma-separated flag values (pflag's StringSlice), dropping empties. */
export function splitList(values: readonly string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

export function parseUsages(values: readonly string[]): TokenUsage[] {
  const list = splitList(values);
  const unknown = list.filter((u) => !(KNOWN_USAGES as readonly string[]).includes(u));
  if (unknown.length > 0) {
    throw new UsageError(`invalid --usages: unknown usage ${unknown.map((u) => JSON.stringify(u)).join(', ')}`, `Valid usages: ${KNOWN_USAGES.join(', ')}.`);
  }
  return [...new Set(list as TokenUsage[])];
}

export function parseGroups(values: readonly string[], usages: readonly TokenUsage[]): string[] {
  const list = [...new Set(splitList(values))];
  for (const g of list) {
    if (!EXTRA_GROUP_PATTERN.test(g)) {
      throw new UsageError(
        `invalid --groups: ${JSON.stringify(g)} is not a bootstrap group`,
        'Each group must match ^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$, e.g. system:bootstrappers:kubeadm:default-node-token.',
      );
    }
  }
  if (list.length > 0 && !usages.includes('authentication')) {
    throw new UsageError(
      'invalid --groups: extra groups only apply to tokens with the "authentication" usage',
      'Add authentication to --usages, or drop --groups.',
    );
  }
  return list;
}

/** Flags of `token create` as given (undefined = not given), validated into a spec. */
export function tokenSpecFromFlags(flags: {
  token: BootstrapToken;
  ttl?: string;
  usages?: readonly string[];
  groups?: readonly string[];
  description?: string;
}): TokenSpec {
  const ttlMs = parseTtl(flags.ttl ?? DEFAULT_TTL);
  const usages = flags.usages === undefined ? [...DEFAULT_USAGES] : parseUsages(flags.usages);
  // The default group only applies to authentication tokens; explicit groups must.
  const groups = flags.groups !== undefined ? parseGroups(flags.groups, usages) : usages.includes('authentication') ? [...DEFAULT_GROUPS] : [];
  const spec: TokenSpec = { token: flags.token, ttlMs, usages, groups };
  if (flags.description !== undefined && flags.description !== '') spec.description = flags.description;
  return spec;
}

/** `<id>` or `<id>.<secret>` (token delete); returns the id. Never echoes a secret. */
export function tokenIdOf(value: string): string {
  const v = value.trim();
  if (TOKEN_ID_PATTERN.test(v)) return v;
  const m = TOKEN_PATTERN.exec(v);
  if (m) return m[1]!;
  const shown = /^[a-z0-9]{6}\./.test(v) ? `${v.slice(0, 7)}…` : JSON.stringify(v.length > 24 ? `${v.slice(0, 6)}…` : v);
  throw new UsageError(
    `${shown} is neither a token id ([a-z0-9]{6}) nor a token ([a-z0-9]{6}.[a-z0-9]{16})`,
    'Give the id shown by "kubejoin token list", or the whole token.',
  );
}

// ---- Secret building ----

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

/** The Secret kubeadm writes for `spec` at time `nowMs` (expiration = now + TTL, whole seconds, UTC). */
export function tokenToSecret(
  spec: TokenSpec,
  nowMs: number,
): {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  type: string;
  data: Record<string, string>;
} {
  const data: Record<string, string> = {
    [KEY.id]: spec.token.id,
    [KEY.secret]: spec.token.secret,
  };
  if (spec.description) data[KEY.description] = spec.description;
  if (spec.ttlMs > 0) data[KEY.expiration] = formatRfc3339Utc(nowMs + spec.ttlMs);
  for (const u of spec.usages) data[`${KEY.usagePrefix}${u}`] = 'true';
  if (spec.groups.length > 0) data[KEY.groups] = spec.groups.join(',');
  const bound =
    spec.nodeName === undefined
      ? {}
      : {
          labels: { [BOUND_LABEL]: 'true' },
          annotations: { [NODE_ANNOTATION]: spec.nodeName, ...(spec.singleUse ? { [SINGLE_USE_ANNOTATION]: 'true' } : {}) },
        };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: tokenSecretName(spec.token.id), namespace: TOKEN_NAMESPACE, ...bound },
    type: TOKEN_SECRET_TYPE,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
  };
}

// ---- Reading Secrets back ----

/** `data[key]` decoded, or '' (cluster-bootstrap's GetData). */
export function dataOf(secret: SecretLike, key: string): string {
  const v = secret.data?.[key];
  return v === undefined ? '' : unb64(v);
}

const SECRET_NAME = new RegExp(`^${TOKEN_SECRET_PREFIX}(${TOKEN_ID_PATTERN.source.slice(1, -1)})$`);

/**
 * kubeadm's BootstrapTokenFromSecret: a TokenInfo, or the reason the Secret is malformed.
 * The reason names the Secret, never its token secret.
 */
export function tokenFromSecret(secret: SecretLike): TokenInfo | { error: string } {
  const name = secret.metadata?.name ?? '';
  const id = dataOf(secret, KEY.id);
  if (id === '') return { error: `Secret ${name} has no token-id` };
  if (name !== tokenSecretName(id)) {
    return { error: `Secret ${name}: its name does not match its token-id (expected ${tokenSecretName(id)})` };
  }
  const tokenSecret = dataOf(secret, KEY.secret);
  if (tokenSecret === '') return { error: `Secret ${name} has no token-secret` };
  if (!TOKEN_PATTERN.test(`${id}.${tokenSecret}`)) {
    return { error: `Secret ${name}: its token-id or token-secret does not match [a-z0-9]{6}.[a-z0-9]{16}` };
  }
  const info: TokenInfo = { id, secret: tokenSecret, description: dataOf(secret, KEY.description), usages: [], groups: [] };
  const expiration = dataOf(secret, KEY.expiration);
  if (expiration !== '') {
    const ms = parseGoRfc3339(expiration);
    if (ms === undefined) return { error: `Secret ${name} has an unparseable expiration ${JSON.stringify(expiration)} (it counts as expired)` };
    info.expires = expiration;
    info.expiresMs = ms;
  }
  for (const key of Object.keys(secret.data ?? {})) {
    if (key.startsWith(KEY.usagePrefix) && dataOf(secret, key) === 'true') info.usages.push(key.slice(KEY.usagePrefix.length));
  }
  info.usages.sort();
  const groups = dataOf(secret, KEY.groups);
  if (groups !== '') info.groups = groups.split(',');
  const binding = bindingOf(secret.metadata);
  if (binding.nodeName !== undefined) info.nodeName = binding.nodeName;
  if (binding.singleUse) info.singleUse = true;
  return info;
}

/** cluster-bootstrap's GetExpiration: an unparseable expiration is expired; absent never is. */
export function expiryOf(secret: SecretLike, nowMs: number): { expired: boolean; remainingMs?: number } {
  const expiration = dataOf(secret, KEY.expiration);
  if (expiration === '') return { expired: false };
  const ms = parseGoRfc3339(expiration);
  if (ms === undefined || ms - nowMs <= 0) return { expired: true };
  return { expired: false, remainingMs: ms - nowMs };
}

/** The TokenCleaner's decision for one Secret of kube-system. */
export function shouldPrune(secret: SecretLike, nowMs: number): boolean {
  return secret.type === TOKEN_SECRET_TYPE && expiryOf(secret, nowMs).expired;
}

/**
 * The BootstrapSigner's validateSecretForSigning: the id and secret to sign with, or undefined.
 * Name `bootstrap-token-<id>`, token-id equal to that id, a non-empty token-secret, not expired,
 * and `usage-bootstrap-signing` exactly "true". (The signer does not check the secret's form.)
 */
export function signingTokenOf(secret: SecretLike, nowMs: number): BootstrapToken | undefined {
  if (secret.type !== TOKEN_SECRET_TYPE) return undefined;
  const nameId = SECRET_NAME.exec(secret.metadata?.name ?? '')?.[1];
  if (nameId === undefined) return undefined;
  const id = dataOf(secret, KEY.id);
  if (id === '' || id !== nameId) return undefined;
  const tokenSecret = dataOf(secret, KEY.secret);
  if (tokenSecret === '') return undefined;
  if (expiryOf(secret, nowMs).expired) return undefined;
  if (dataOf(secret, `${KEY.usagePrefix}signing`) !== 'true') return undefined;
  return { id, secret: tokenSecret };
}

/** `abcdef.****************`: the id is public, the secret is not. */
export function maskedToken(id: string): string {
  return `${id}.${'*'.repeat(16)}`;
}
