import { KubejoinError } from '../errors.js';
import type { KeychainCallError, KeytarAnswer, KeytarOp, runKeytar as RunKeytar } from './keytar-child.js';
import { DISMISSED, keychainCause, keychainProblem, keychainRemedy } from './keychain-problem.js';
import { pairMatches, type CertAndKey } from './pem-pair.js';
import { boundMs, keytarAttributes, lockedEntry } from './secret-service.js';

// The keychain's entries (docs/stores.md §2): one service (KUBEJOIN_KEYCHAIN_SERVICE, default
// "kubejoin"), one account per node, server and entry. The current pair is one entry
// (`credential`); a join's pending key and a rotation's key and certificate have their own.
// Every call goes through the bounded helper process of keytar-child.ts.

/**
 * keytar's helper (keytar-child.ts, with node:child_process and node:readline) is loaded on the
 * first keychain call: a join that stores in files never pays for it (docs/performance.md).
 */
export const runKeytar: typeof RunKeytar = async (ops, opts) => (await import('./keytar-child.js')).runKeytar(ops, opts);

/** Windows Credential Manager's limit for one secret. */
export const MAX_ENTRY_BYTES = 2500;
const PROBE_ACCOUNT = 'kubejoin-probe';

export function keychainService(env: NodeJS.ProcessEnv): string {
  return env.KUBEJOIN_KEYCHAIN_SERVICE || 'kubejoin';
}

export type Entry = 'credential' | 'key' | 'cert' | 'pending-key' | 'rotation-key' | 'rotation-cert';

export function keychainAccount(nodeName: string, server: string, entry: Entry): string {
  return `${nodeName}@${server}#${entry}`;
}

function words(err: unknown): string {
  return ((err as Error).message ?? String(err)).split('\n')[0] ?? '';
}

/**
 * Why the keychain cannot be used, in words for the operator; undefined when it can. It
 * writes and removes a probe entry: a locked collection refuses that in words, where a read
 * would look empty (and listing one crashes libsecret).
 */
export async function probeKeychain(env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<string | undefined> {
  const service = keychainService(env);
  try {
    await runKeytar(
      [
        { op: 'set', service, account: PROBE_ACCOUNT, password: 'probe' },
        { op: 'delete', service, account: PROBE_ACCOUNT },
      ],
      { env, ...(signal ? { signal } : {}) },
    );
    return undefined;
  } catch (err) {
    if (callKind(err) === 'cancelled') throw new KubejoinError('internal', 'the join was cancelled while the keychain was probed');
    return keychainProblem(words(err), env, callKind(err));
  }
}

/** The kind of a failed keytar call; read by name, so that keytar-child.ts stays unloaded until a keychain call. */
function callKind(err: unknown): KeychainCallError['kind'] | undefined {
  return err instanceof Error && err.name === 'KeychainCallError' ? (err as KeychainCallError).kind : undefined;
}

/**
 * What to do about a keychain that cannot be used: for `problem` (a probe's answer or a failure's
 * words; without it, a locked keyring), during a join (`--store file` is a way out) or after it.
 */
export function keychainHint(problem = 'locked', joining = true): string {
  return keychainRemedy(keychainCause(problem), joining);
}

/** A keychain call that failed, as the operator reads it: the action, what is wrong, what to do. */
export function keychainFailure(action: string, err: unknown, env: NodeJS.ProcessEnv = {}, joining = false): KubejoinError {
  const kind = callKind(err);
  const detail = words(err);
  return new KubejoinError('store-failed', `cannot ${action} in the keychain: ${keychainProblem(detail, env, kind)}`, {
    hint: keychainRemedy(keychainCause(detail, kind), joining),
  });
}

const CERTS = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const KEY = /-----BEGIN (?:EC |RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:EC |RSA )?PRIVATE KEY-----/;

/** The pair from the one `#credential` entry, or from the separate entries older versions wrote. */
export async function readPair(
  env: NodeJS.ProcessEnv,
  nodeName: string,
  server: string,
  signal?: AbortSignal,
): Promise<{ certPem: string; keyPem: string } | undefined> {
  const service = keychainService(env);
  const [one, keyPem, certPem] = await runKeytar(
    (['credential', 'key', 'cert'] as const).map((e) => ({ op: 'get' as const, service, account: keychainAccount(nodeName, server, e) })),
    { env, ...(signal ? { signal } : {}) },
  );
  if (typeof one === 'string' && one) {
    const certs = one.match(CERTS);
    const key = one.match(KEY);
    return certs && key ? { certPem: `${certs.join('\n')}\n`, keyPem: `${key[0]}\n` } : undefined;
  }
  return typeof keyPem === 'string' && keyPem && typeof certPem === 'string' && certPem ? { certPem, keyPem } : undefined;
}

/** Every entry of a node's credential, and what each holds (for status and reset). */
export const ENTRIES: readonly Entry[] = ['credential', 'key', 'cert', 'pending-key', 'rotation-key', 'rotation-cert'];
export const WHAT: Record<Entry, string> = {
  credential: 'client certificate and key',
  key: 'private key (older layout)',
  cert: 'client certificate (older layout)',
  'pending-key': 'key of an unfinished join',
  'rotation-key': 'key of an unfinished rotation',
  'rotation-cert': 'certificate of an unfinished rotation',
};

/** Keychain calls that fail in words, within the bound, instead of hanging on a locked keyring. */
export async function keychainCall(action: string, env: NodeJS.ProcessEnv, ops: KeytarOp[]): Promise<KeytarAnswer[]> {
  try {
    return await runKeytar(ops, { env });
  } catch (err) {
    throw keychainFailure(action, err, env);
  }
}

export const text = (answer: KeytarAnswer | undefined): string | undefined => (typeof answer === 'string' && answer ? answer : undefined);

export async function matchingPair(env: NodeJS.ProcessEnv, nodeName: string, server: string, key: Entry, cert: Entry): Promise<CertAndKey | undefined> {
  const service = keychainService(env);
  const [keyPem, certPem] = (
    await keychainCall('read the credential', env, [
      { op: 'get', service, account: keychainAccount(nodeName, server, key) },
      { op: 'get', service, account: keychainAccount(nodeName, server, cert) },
    ])
  ).map(text);
  return keyPem && certPem && pairMatches(certPem, keyPem) ? { certPem, keyPem } : undefined;
}

/**
 * The current pair: the `credential` entry (or the separate entries of older versions), or,
 * when those do not match (a rotation killed while writing the older layout), the rotation
 * pair, which matches by then. Undefined when nothing is stored.
 */
export async function loadKeychainPair(env: NodeJS.ProcessEnv, nodeName: string, server: string): Promise<CertAndKey | undefined> {
  let current: CertAndKey | undefined;
  try {
    current = await readPair(env, nodeName, server);
  } catch (err) {
    throw keychainFailure(`read the credential of node "${nodeName}"`, err, env);
  }
  if (current && pairMatches(current.certPem, current.keyPem)) return current;
  const rotated = await matchingPair(env, nodeName, server, 'rotation-key', 'rotation-cert');
  if (rotated) return rotated;
  if (!current) {
    // keytar reads a locked entry as none once its unlock prompt is dismissed (or cannot be
    // shown): the Secret Service itself tells a locked entry from a missing one.
    const account = keychainAccount(nodeName, server, 'credential');
    if (await lockedEntry(env, keytarAttributes(keychainService(env), account), boundMs(env))) {
      throw new KubejoinError('store-failed', `cannot read the credential of node "${nodeName}" in the keychain: ${DISMISSED}`, {
        hint: keychainRemedy('dismissed', false),
      });
    }
    return undefined;
  }
  throw new KubejoinError(
    'store-failed',
    `the keychain entries for "${nodeName}@${server}" do not form a usable credential (the key and the certificate do not match)`,
    {
      hint: 'Run "kubejoin reset" and join again with a new token.',
    },
  );
}

/** Pending-join entries of the service (`<node>@<server>#pending-key`), for status and reset on an unjoined machine. */
export async function pendingJoinEntries(env: NodeJS.ProcessEnv): Promise<{ nodeName: string; server: string; account: string; keyPem: string }[]> {
  const service = keychainService(env);
  const [accounts] = await keychainCall('list the entries', env, [{ op: 'find', service }]);
  const pending = (Array.isArray(accounts) ? accounts : []).flatMap((account) => {
    const m = /^(.+?)@(https:\/\/.+)#pending-key$/.exec(account);
    return m ? [{ nodeName: m[1]!, server: m[2]!, account }] : [];
  });
  if (pending.length === 0) return [];
  const keys = await keychainCall(
    'read the keys of unfinished joins',
    env,
    pending.map((p): KeytarOp => ({ op: 'get', service, account: p.account })),
  );
  return pending.flatMap((p, i) => {
    const keyPem = text(keys[i]);
    return keyPem ? [{ ...p, keyPem }] : [];
  });
}

export async function deleteKeychainAccount(env: NodeJS.ProcessEnv, account: string): Promise<void> {
  await keychainCall('delete an entry', env, [{ op: 'delete', service: keychainService(env), account }]);
}
