import { existsSync } from 'node:fs';
import { lstat, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { StoredCredential } from '../contract/index.js';
import { KubejoinError } from '../errors.js';
import { crashPoint } from './crash-point.js';
import { fileStoreError } from './errno.js';
import { ensureDir, stageFile, sweepTemporaries, type StagedFile } from './fs-atomic.js';
import type { KeytarOp } from './keytar-child.js';
import { isSingleExecutable } from './keytar-loader.js';
import {
  ENTRIES,
  keychainAccount,
  keychainCall,
  keychainFailure,
  keychainService,
  loadKeychainPair,
  matchingPair,
  MAX_ENTRY_BYTES,
  readPair,
  runKeytar,
  text,
  WHAT,
  type Entry,
} from './keychain-entries.js';
import type { CertAndKey, StoredItem } from './pem-pair.js';
import { assertStaged } from './journal.js';
import { RunLockedStore } from './lock.js';
import { renderKubeconfig } from '../protocol/kubeconfig.js';
import { defaultKubeconfigPath } from './paths.js';
import type { ClusterRef, ExistingCredential, StagedCredential, Store, StoreTarget } from './types.js';

// The keychain backend of the one Store (docs/stores.md §2 and §7): the OS keychain through
// keytar (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows).
// Certificate and key are one entry (`#credential`), under Windows' 2,500-byte limit, so they
// are replaced together; a rotation keeps its key, then its verified certificate, in entries
// of their own until the new pair is the credential (a kill leaves either pair usable). Every
// call runs in a bounded child process (keytar-child.ts). The kubeconfig holds no secret:
// kubectl runs `kubejoin credential`.

export {
  deleteKeychainAccount,
  keychainAccount,
  keychainFailure,
  keychainHint,
  keychainService,
  loadKeychainPair,
  MAX_ENTRY_BYTES,
  pendingJoinEntries,
  probeKeychain,
  readPair,
  type Entry,
} from './keychain-entries.js';

/** Where a keychain store lives: its entries (node and server) and its kubeconfig. */
export interface KeychainPlace {
  nodeName: string;
  /** The server the entries are named after (cluster-info's, at join time). */
  server: string;
  env: NodeJS.ProcessEnv;
  kubeconfigPath: string;
  /** The command kubectl runs as exec plugin (a join writes it into the kubeconfig). */
  credentialCommand?: { command: string; args: string[] };
  /** Ends a keychain call in flight (the join's cancel and deadline). */
  signal?: AbortSignal;
}

export class KeychainStore extends RunLockedStore implements Store {
  readonly kind = 'keychain' as const;
  private readonly service: string;
  readonly kubeconfigPath: string;
  private readonly nodeName: string;
  /** The server the entries are named after (the exec plugin's --server). */
  private readonly entryServer: string;
  private readonly env: NodeJS.ProcessEnv;
  /** This run loaded or wrote the pending entry: a denial removes it. */
  private hasPending = false;

  constructor(
    private readonly place: KeychainPlace,
    readonly reason: string,
    /** Server and CA from the kubeconfig, for a store found through it (after the join). */
    readonly cluster?: ClusterRef,
  ) {
    super();
    this.service = keychainService(place.env);
    this.kubeconfigPath = resolve(place.kubeconfigPath);
    this.nodeName = place.nodeName;
    this.entryServer = place.server;
    this.env = place.env;
  }

  /** Where a join puts the credential: the keychain, and its --kubeconfig-out (or the default). */
  static forTarget(target: StoreTarget, reason: string): KeychainStore {
    const { certDir: _certDir, kubeconfigOut, ...rest } = target;
    return new KeychainStore({ ...rest, kubeconfigPath: kubeconfigOut ?? defaultKubeconfigPath(target.env) }, reason);
  }

  private account(entry: Entry): string {
    return keychainAccount(this.nodeName, this.entryServer, entry);
  }

  private run(ops: KeytarOp[]): ReturnType<typeof runKeytar> {
    return runKeytar(ops, { env: this.env, ...(this.place.signal ? { signal: this.place.signal } : {}) });
  }

  /** The kubeconfig's directory holds the run lock (docs/stores.md §8). */
  get lockDirs(): string[] {
    return [dirname(this.kubeconfigPath)];
  }

  async loadPendingKey(): Promise<string | undefined> {
    // Only under the run lock: a sweep must never remove the staged kubeconfig of a live run.
    const unlocked = this.unlocked(`the keychain store on ${dirname(this.kubeconfigPath)}`);
    if (unlocked) throw unlocked;
    await sweepTemporaries(dirname(this.kubeconfigPath));
    try {
      const [pem] = await this.run([{ op: 'get', service: this.service, account: this.account('pending-key') }]);
      if (typeof pem === 'string' && pem) this.hasPending = true;
      return typeof pem === 'string' && pem ? pem : undefined;
    } catch (err) {
      throw keychainFailure('read the pending key', err, this.env, true);
    }
  }

  async savePendingKey(keyPem: string): Promise<void> {
    try {
      await this.run([{ op: 'set', service: this.service, account: this.account('pending-key'), password: keyPem }]);
      this.hasPending = true;
    } catch (err) {
      throw keychainFailure('save the pending key', err, this.env, true);
    }
    crashPoint('pending-key-saved');
  }

  async loadCredential(): Promise<ExistingCredential | undefined> {
    let pair: { certPem: string; keyPem: string } | undefined;
    try {
      pair = await readPair(this.env, this.nodeName, this.entryServer, this.place.signal);
    } catch (err) {
      throw keychainFailure('read the credential', err, this.env, true);
    }
    if (!pair || !existsSync(this.kubeconfigPath)) return undefined;
    return { ...pair, stored: this.describe() };
  }

  describe(): StoredCredential {
    return {
      kind: 'keychain',
      reason: this.reason,
      kubeconfigPath: this.kubeconfigPath,
      location: `keychain service "${this.service}", account "${this.account('credential').replace(/#credential$/, '')}"`,
    };
  }

  async stage(certPem: string, keyPem: string, cluster: ClusterRef): Promise<StagedCredential> {
    const entry = `${certPem.trim()}\n${keyPem.trim()}\n`;
    if (Buffer.byteLength(entry) >= MAX_ENTRY_BYTES) {
      throw new KubejoinError(
        'store-failed',
        `the certificate and key are ${Buffer.byteLength(entry)} bytes, over the keychain's ${MAX_ENTRY_BYTES}-byte limit per entry`,
        {
          hint: 'Use --store file.',
        },
      );
    }
    // The packaged single executable is its own exec plugin, wherever it was installed.
    const command = isSingleExecutable() ? { command: process.execPath, args: [] } : (this.place.credentialCommand ?? { command: 'kubejoin', args: [] });
    const kubeconfig = renderKubeconfig(cluster, {
      kind: 'exec',
      command: command.command,
      args: [...command.args, 'credential', '--server', this.entryServer, '--node-name', this.nodeName],
    });
    let staged: StagedFile;
    try {
      await ensureDir(dirname(this.kubeconfigPath), 0o700);
      staged = await stageFile(this.kubeconfigPath, kubeconfig, 0o600);
    } catch (err) {
      throw fileStoreError('write', this.kubeconfigPath, err);
    }
    crashPoint('credential-staged');
    const s = this.service;
    return {
      abort: () => staged.abort(),
      commit: async () => {
        // One entry holds the pair: a kill leaves the old pair or the new one (§2).
        try {
          await assertStaged(staged);
          await this.run([{ op: 'set', service: s, account: this.account('credential'), password: entry }]);
        } catch (err) {
          await staged.abort();
          if (err instanceof KubejoinError) throw err;
          throw keychainFailure('store the credential', err, this.env, true);
        }
        crashPoint('keychain-entry-written');
        try {
          await staged.commit();
        } catch (err) {
          throw fileStoreError('write', this.kubeconfigPath, err);
        }
        await this.run((['pending-key', 'key', 'cert'] as const).map((e) => ({ op: 'delete' as const, service: s, account: this.account(e) }))).catch(
          () => undefined,
        );
        this.hasPending = false;
        return this.describe();
      },
    };
  }

  async save(certPem: string, keyPem: string, cluster: ClusterRef): Promise<StoredCredential> {
    return (await this.stage(certPem, keyPem, cluster)).commit();
  }

  async discardPending(): Promise<void> {
    if (!this.hasPending) return;
    await this.run([{ op: 'delete', service: this.service, account: this.account('pending-key') }]).catch(() => false);
    this.hasPending = false;
  }

  private async get(entry: Entry): Promise<string | undefined> {
    const [answer] = await keychainCall(`read the ${WHAT[entry]}`, this.env, [{ op: 'get', service: this.service, account: this.account(entry) }]);
    return text(answer);
  }

  private async set(entry: Entry, value: string): Promise<void> {
    await keychainCall(`store the ${WHAT[entry]}`, this.env, [{ op: 'set', service: this.service, account: this.account(entry), password: value }]);
  }

  private async delete(...entries: Entry[]): Promise<void> {
    const ops = entries.map((e): KeytarOp => ({ op: 'delete', service: this.service, account: this.account(e) }));
    await keychainCall(`delete the ${entries.map((e) => WHAT[e]).join(', ')}`, this.env, ops);
  }

  get rotationKeyLocation(): string {
    return `keychain service "${this.service}", account "${this.account('rotation-key')}"`;
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
