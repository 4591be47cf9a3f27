import { lstat, rm } from 'node:fs/promises';
import type { StoredCredential } from '../contract/index.js';
import { KubejoinError } from '../errors.js';
import type { InstalledCredential } from './installed.js';
import { keychainHint, keychainService, loadKeytar, type Keytar } from './keychain.js';
import { pairMatches, type CertAndKey, type StoredItem } from './pem-pair.js';
import type { ClusterRef } from './types.js';

// The keychain store after the join. Key and certificate are two entries, and no keychain
// writes two entries at once, so a rotation commits in an order that a reader can always
// recover from (docs/stores.md §5):
//   1. `rotation-key` (saved before the CSR), then `rotation-cert` once the new pair is verified;
//   2. `key`, then `cert`;
//   3. `rotation-cert` and `rotation-key` are deleted.
// A reader whose `key` and `cert` do not match (killed between the two writes of step 2)
// takes the rotation pair, which matches by then.

type Entry = 'key' | 'cert' | 'pending-key' | 'rotation-key' | 'rotation-cert';
const ENTRIES: readonly Entry[] = ['key', 'cert', 'pending-key', 'rotation-key', 'rotation-cert'];
const WHAT: Record<Entry, string> = {
  key: 'private key',
  cert: 'client certificate',
  'pending-key': 'key of an unfinished join',
  'rotation-key': 'key of an unfinished rotation',
  'rotation-cert': 'certificate of an unfinished rotation',
};
const CALL_TIMEOUT_MS = 10_000;

export function entryAccount(nodeName: string, server: string, entry: Entry): string {
  return `${nodeName}@${server}#${entry}`;
}

export function keychainFailure(action: string, err: unknown): KubejoinError {
  return new KubejoinError('store-failed', `cannot ${action} in the keychain: ${(err as Error).message.split('\n')[0]}`, { hint: keychainHint() });
}

/** A keychain call that fails instead of hanging when the keyring is locked. */
export async function keychainCall<T>(action: string, call: (k: Keytar) => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const keytar = await loadKeytar();
    return await Promise.race([
      call(keytar),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CALL_TIMEOUT_MS / 1000} s (is the keyring locked?)`)), CALL_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    throw keychainFailure(action, err);
  } finally {
    clearTimeout(timer);
  }
}

export class InstalledKeychain implements InstalledCredential {
  readonly kind = 'keychain' as const;
  private readonly service: string;

  constructor(
    readonly kubeconfigPath: string,
    readonly cluster: ClusterRef,
    readonly nodeName: string,
    /** The server the entries are named after (the exec plugin's --server). */
    readonly entryServer: string,
    env: NodeJS.ProcessEnv,
  ) {
    this.service = keychainService(env);
  }

  private account(entry: Entry): string {
    return entryAccount(this.nodeName, this.entryServer, entry);
  }

  private get(entry: Entry): Promise<string | undefined> {
    return keychainCall(`read the ${WHAT[entry]}`, async (k) => (await k.getPassword(this.service, this.account(entry))) ?? undefined);
  }

  private set(entry: Entry, value: string): Promise<void> {
    return keychainCall(`store the ${WHAT[entry]}`, (k) => k.setPassword(this.service, this.account(entry), value));
  }

  private async delete(entry: Entry): Promise<void> {
    await keychainCall(`delete the ${WHAT[entry]}`, (k) => k.deletePassword(this.service, this.account(entry)));
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
    return loadKeychainPair(this.service, this.nodeName, this.entryServer);
  }

  async loadRotationKey(): Promise<string | undefined> {
    return this.get('rotation-key');
  }

  async saveRotationKey(keyPem: string): Promise<void> {
    await this.set('rotation-key', keyPem);
  }

  async discardRotationKey(): Promise<void> {
    await this.delete('rotation-cert');
    await this.delete('rotation-key');
  }

  async loadUncommitted(): Promise<CertAndKey | undefined> {
    return matchingPair(this.service, this.nodeName, this.entryServer, 'rotation-key', 'rotation-cert');
  }

  async replace(certPem: string, keyPem: string): Promise<void> {
    await this.set('rotation-key', keyPem);
    await this.set('rotation-cert', certPem);
    await this.set('key', keyPem);
    await this.set('cert', certPem);
    await this.discardRotationKey();
  }

  async inventory(): Promise<StoredItem[]> {
    const present = await keychainCall('list the entries', async (k) => new Set((await k.findCredentials(this.service)).map((c) => c.account)));
    const items: StoredItem[] = ENTRIES.filter((e) => present.has(this.account(e))).map((e) => ({
      what: WHAT[e],
      where: `keychain service "${this.service}", account "${this.account(e)}"`,
    }));
    if (await lstat(this.kubeconfigPath).then(() => true, () => false)) items.push({ what: 'kubeconfig', where: this.kubeconfigPath });
    return items;
  }

  async remove(): Promise<StoredItem[]> {
    const items = await this.inventory();
    for (const entry of ENTRIES) await this.delete(entry);
    await rm(this.kubeconfigPath, { force: true });
    return items;
  }
}

async function matchingPair(service: string, nodeName: string, server: string, key: Entry, cert: Entry): Promise<CertAndKey | undefined> {
  const [keyPem, certPem] = await keychainCall('read the credential', (k) =>
    Promise.all([k.getPassword(service, entryAccount(nodeName, server, key)), k.getPassword(service, entryAccount(nodeName, server, cert))]),
  );
  return keyPem && certPem && pairMatches(certPem, keyPem) ? { certPem, keyPem } : undefined;
}

/**
 * The current pair: `key` + `cert`, or, when a rotation was killed between writing those
 * two, the rotation pair (which matches by then). Undefined when nothing is stored.
 */
export async function loadKeychainPair(service: string, nodeName: string, server: string): Promise<CertAndKey | undefined> {
  const current = await matchingPair(service, nodeName, server, 'key', 'cert');
  if (current) return current;
  const rotated = await matchingPair(service, nodeName, server, 'rotation-key', 'rotation-cert');
  if (rotated) return rotated;
  const [keyPem, certPem] = await keychainCall('read the credential', (k) =>
    Promise.all([k.getPassword(service, entryAccount(nodeName, server, 'key')), k.getPassword(service, entryAccount(nodeName, server, 'cert'))]),
  );
  if (!keyPem && !certPem) return undefined;
  throw new KubejoinError('store-failed', `the keychain entries for "${nodeName}@${server}" do not form a usable credential (the key and the certificate do not match)`, {
    hint: 'Run "kubejoin reset" and join again with a new token.',
  });
}

/** Pending-join entries of the service (`<node>@<server>#pending-key`), for status and reset on an unjoined machine. */
export async function pendingJoinEntries(env: NodeJS.ProcessEnv): Promise<{ nodeName: string; server: string; account: string; keyPem: string }[]> {
  const service = keychainService(env);
  const all = await keychainCall('list the entries', (k) => k.findCredentials(service));
  return all.flatMap((c) => {
    const m = /^(.+?)@(https:\/\/.+)#pending-key$/.exec(c.account);
    return m ? [{ nodeName: m[1]!, server: m[2]!, account: c.account, keyPem: c.password }] : [];
  });
}

export async function deleteKeychainAccount(env: NodeJS.ProcessEnv, account: string): Promise<void> {
  await keychainCall('delete an entry', (k) => k.deletePassword(keychainService(env), account));
}
