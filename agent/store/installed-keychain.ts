import { lstat, rm } from 'node:fs/promises';
import type { StoredCredential } from '../contract/index.js';
import { KubejoinError } from '../errors.js';
import type { InstalledCredential } from './installed.js';
import { keychainAccount, keychainFailure, keychainService, readPair, type Entry } from './keychain.js';
import { runKeytar, type KeytarAnswer, type KeytarOp } from './keytar-child.js';
import { pairMatches, type CertAndKey, type StoredItem } from './pem-pair.js';
import type { ClusterRef } from './types.js';

// The keychain store after the join. The current pair is one entry (`credential`, as the
// join writes it), so replacing it is one write; a rotation still keeps its own key, saved
// before its CSR, and its certificate once verified, so an interrupted rotation is resumed
// or read through (docs/stores.md §7):
//   1. `rotation-key` (saved before the CSR), then `rotation-cert` once the new pair is verified;
//   2. `credential` (the new pair, one write); the separate `key`/`cert` entries of older
//      versions are deleted;
//   3. `rotation-cert` and `rotation-key` are deleted.
// Every call goes through the bounded child process of keytar-child.ts.

type InstalledEntry = Entry;
const ENTRIES: readonly InstalledEntry[] = ['credential', 'key', 'cert', 'pending-key', 'rotation-key', 'rotation-cert'];
const WHAT: Record<InstalledEntry, string> = {
  credential: 'client certificate and key',
  key: 'private key (older layout)',
  cert: 'client certificate (older layout)',
  'pending-key': 'key of an unfinished join',
  'rotation-key': 'key of an unfinished rotation',
  'rotation-cert': 'certificate of an unfinished rotation',
};

export { keychainFailure };

/** Keychain calls that fail in words, within the bound, instead of hanging on a locked keyring. */
export async function keychainCall(action: string, env: NodeJS.ProcessEnv, ops: KeytarOp[]): Promise<KeytarAnswer[]> {
  try {
    return await runKeytar(ops, { env });
  } catch (err) {
    throw keychainFailure(action, err);
  }
}

const text = (answer: KeytarAnswer | undefined): string | undefined => (typeof answer === 'string' && answer ? answer : undefined);

export class InstalledKeychain implements InstalledCredential {
  readonly kind = 'keychain' as const;
  private readonly service: string;

  constructor(
    readonly kubeconfigPath: string,
    readonly cluster: ClusterRef,
    readonly nodeName: string,
    /** The server the entries are named after (the exec plugin's --server). */
    readonly entryServer: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.service = keychainService(env);
  }

  private account(entry: InstalledEntry): string {
    return keychainAccount(this.nodeName, this.entryServer, entry);
  }

  private async get(entry: InstalledEntry): Promise<string | undefined> {
    const [answer] = await keychainCall(`read the ${WHAT[entry]}`, this.env, [{ op: 'get', service: this.service, account: this.account(entry) }]);
    return text(answer);
  }

  private async set(entry: InstalledEntry, value: string): Promise<void> {
    await keychainCall(`store the ${WHAT[entry]}`, this.env, [{ op: 'set', service: this.service, account: this.account(entry), password: value }]);
  }

  private async delete(...entries: InstalledEntry[]): Promise<void> {
    const ops = entries.map((e): KeytarOp => ({ op: 'delete', service: this.service, account: this.account(e) }));
    await keychainCall(`delete the ${entries.map((e) => WHAT[e]).join(', ')}`, this.env, ops);
  }

  get rotationKeyLocation(): string {
    return `keychain service "${this.service}", account "${this.account('rotation-key')}"`;
  }

  describe(): StoredCredential {
    return {
      kind: 'keychain',
      reason: 'found through the kubeconfig',
      kubeconfigPath: this.kubeconfigPath,
      location: `keychain service "${this.service}", account "${this.nodeName}@${this.entryServer}"`,
    };
  }

  async load(): Promise<CertAndKey | undefined> {
    return loadKeychainPair(this.env, this.nodeName, this.entryServer);
  }

  async loadRotationKey(): Promise<string | undefined> {
    return this.get('rotation-key');
  }

  async saveRotationKey(keyPem: string): Promise<void> {
    await this.set('rotation-key', keyPem);
  }

  async discardRotationKey(): Promise<void> {
    await this.delete('rotation-cert', 'rotation-key');
  }

  async loadUncommitted(): Promise<CertAndKey | undefined> {
    return matchingPair(this.env, this.nodeName, this.entryServer, 'rotation-key', 'rotation-cert');
  }

  async replace(certPem: string, keyPem: string): Promise<void> {
    await this.set('rotation-key', keyPem);
    await this.set('rotation-cert', certPem);
    await this.set('credential', `${certPem.trim()}\n${keyPem.trim()}\n`);
    await this.delete('key', 'cert');
    await this.discardRotationKey();
  }

  async inventory(): Promise<StoredItem[]> {
    const [accounts] = await keychainCall('list the entries', this.env, [{ op: 'find', service: this.service }]);
    const present = new Set(Array.isArray(accounts) ? accounts : []);
    const items: StoredItem[] = ENTRIES.filter((e) => present.has(this.account(e))).map((e) => ({
      what: WHAT[e],
      where: `keychain service "${this.service}", account "${this.account(e)}"`,
    }));
    if (
      await lstat(this.kubeconfigPath).then(
        () => true,
        () => false,
      )
    )
      items.push({ what: 'kubeconfig', where: this.kubeconfigPath });
    return items;
  }

  async remove(): Promise<StoredItem[]> {
    const items = await this.inventory();
    await this.delete(...ENTRIES);
    await rm(this.kubeconfigPath, { force: true });
    return items;
  }
}

async function matchingPair(
  env: NodeJS.ProcessEnv,
  nodeName: string,
  server: string,
  key: InstalledEntry,
  cert: InstalledEntry,
): Promise<CertAndKey | undefined> {
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
    throw keychainFailure(`read the credential of node "${nodeName}"`, err);
  }
  if (current && pairMatches(current.certPem, current.keyPem)) return current;
  const rotated = await matchingPair(env, nodeName, server, 'rotation-key', 'rotation-cert');
  if (rotated) return rotated;
  if (!current) return undefined;
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
