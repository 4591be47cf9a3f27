import { dirname, join, resolve } from 'node:path';
import type { StoredCredential } from '../contract/index.js';
import { KubejoinError } from '../errors.js';
import { crashPoint } from './crash-point.js';
import { fileStoreError } from './errno.js';
import {
  ensureDir,
  ownDir,
  readFileNoFollow,
  removeFile,
  stageAll,
  StageFailure,
  sweepTemporaries,
  syncDir,
  tmpPathFor,
  writeFileAtomic,
  type StagedFile,
} from './fs-atomic.js';
import { commitTogether, journalFor, recover } from './journal.js';
import { RunLockedStore } from './lock.js';
import { readCredentialFile } from './read-credential.js';
import { stopPoint } from './stop-point.js';
import { renderKubeconfig } from '../protocol/kubeconfig.js';
import { defaultCertDir, defaultKubeconfigPath } from './paths.js';
import { fail, fileInventory, fileRemove, PENDING_KEY, ROTATION_KEY, switchCurrent, type FilePlace } from './file-rotation.js';
import { splitPem, type CertAndKey, type StoredItem } from './pem-pair.js';
import type { ClusterRef, ExistingCredential, StagedCredential, Store, StoreTarget } from './types.js';

// The file backend of the one Store (docs/stores.md §1 and §7), the kubelet's layout:
// <certDir>/kubelet-client-current.pem (certificate blocks then key, 0600, directory 0700)
// and a kubelet.conf-like kubeconfig pointing at it. The key of an unfinished join waits in
// <certDir>/kubelet-client.key.tmp, as the kubelet keeps it; a rotation's in
// kubelet-client-rotation.key.tmp. A join stages the pair and the kubeconfig and renames them
// as one unit (journal); a rotation switches the current name to a new timestamped pair
// (file-rotation.ts). Every read of the current pair accepts the kubelet's symlinked layout.

export const CURRENT_PEM = 'kubelet-client-current.pem';
export { PENDING_KEY, ROTATION_KEY, timestampedName } from './file-rotation.js';
export const JOURNAL = '.kubejoin-commit.json';

export class FileStore extends RunLockedStore implements Store {
  readonly kind = 'file' as const;
  readonly certDir: string;
  readonly kubeconfigPath: string;
  /** The kubeconfig's client-certificate (normally <certDir>/kubelet-client-current.pem). */
  readonly currentPath: string;
  private prepared: Promise<void> | undefined;

  constructor(
    place: Omit<FilePlace, 'currentPath'> & { currentPath?: string },
    readonly reason: string,
    /** Server and CA from the kubeconfig, for a store found through it (after the join). */
    readonly cluster?: ClusterRef,
  ) {
    super();
    this.certDir = resolve(place.certDir);
    this.kubeconfigPath = resolve(place.kubeconfigPath);
    this.currentPath = resolve(place.currentPath ?? join(this.certDir, CURRENT_PEM));
  }

  /** Where a join puts the credential: its --cert-dir and --kubeconfig-out, or the defaults. */
  static forTarget(target: StoreTarget, reason: string): FileStore {
    return new FileStore(
      { certDir: target.certDir ?? defaultCertDir(target.env), kubeconfigPath: target.kubeconfigOut ?? defaultKubeconfigPath(target.env) },
      reason,
    );
  }

  private get place(): FilePlace {
    return { certDir: this.certDir, kubeconfigPath: this.kubeconfigPath, currentPath: this.currentPath };
  }

  private get pendingPath(): string {
    return join(this.certDir, PENDING_KEY);
  }

  private get pemPath(): string {
    return this.currentPath;
  }

  private get rotationKeyPath(): string {
    return join(this.certDir, ROTATION_KEY);
  }

  /** The directories this store writes into: each holds the run lock (docs/stores.md §8). */
  get lockDirs(): string[] {
    return [this.certDir, dirname(this.kubeconfigPath)];
  }

  /**
   * Once per run, before anything is read: finish a half-done commit, sweep our temporaries.
   * Only under the run lock: a sweep must never remove the staged files of a live run.
   */
  private prepare(): Promise<void> {
    const unlocked = this.unlocked(`the file store in ${this.certDir}`);
    if (unlocked) return Promise.reject(unlocked);
    this.prepared ??= (async () => {
      try {
        await recover(join(this.certDir, JOURNAL), [this.pemPath, this.kubeconfigPath]);
        await sweepTemporaries(this.certDir);
        await sweepTemporaries(dirname(this.kubeconfigPath));
      } catch (err) {
        throw fileStoreError('recover the store in', this.certDir, err);
      }
    })();
    return this.prepared;
  }

  async loadPendingKey(): Promise<string | undefined> {
    await this.prepare();
    try {
      return await readFileNoFollow(this.pendingPath);
    } catch (err) {
      throw fileStoreError('read', this.pendingPath, err);
    }
  }

  async savePendingKey(keyPem: string): Promise<void> {
    await this.prepare();
    try {
      await ensureDir(this.certDir, 0o700);
    } catch (err) {
      throw fileStoreError('create', this.certDir, err);
    }
    try {
      await writeFileAtomic(this.pendingPath, keyPem, 0o600, 'pending-key-staged');
    } catch (err) {
      throw fileStoreError('write', this.pendingPath, err);
    }
    crashPoint('pending-key-saved');
  }

  async loadCredential(): Promise<ExistingCredential | undefined> {
    await this.prepare();
    // The kubelet's layout is accepted: after a rotation the current pem is a symlink (§7).
    const text = await readCredentialFile(this.pemPath);
    try {
      if (text === undefined || (await readFileNoFollow(this.kubeconfigPath)) === undefined) return undefined;
    } catch (err) {
      throw fileStoreError('read', this.kubeconfigPath, err);
    }
    const certs = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
    const key = text.match(/-----BEGIN (?:EC |RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:EC |RSA )?PRIVATE KEY-----/);
    if (!certs || !key) return undefined;
    return { certPem: `${certs.join('\n')}\n`, keyPem: `${key[0]}\n`, stored: this.describe() };
  }

  describe(): StoredCredential {
    return { kind: 'file', reason: this.reason, kubeconfigPath: this.kubeconfigPath, location: this.pemPath };
  }

  async stage(certPem: string, keyPem: string, cluster: ClusterRef): Promise<StagedCredential> {
    await this.prepare();
    const kubeconfigDir = dirname(this.kubeconfigPath);
    // The run lock made both directories: here one open each, mode and kind checked (§1).
    const dirs = await Promise.allSettled([ownDir(this.certDir, 0o700), kubeconfigDir === this.certDir ? undefined : ensureDir(kubeconfigDir, 0o700)]);
    for (const [i, r] of dirs.entries()) if (r.status === 'rejected') throw fileStoreError('write', i === 0 ? this.pemPath : this.kubeconfigPath, r.reason);
    // The pair, the kubeconfig and the journal naming both, written and fsynced at once.
    const files = [
      { path: this.pemPath, data: `${certPem.trim()}\n${keyPem.trim()}\n`, tmp: tmpPathFor(this.pemPath) },
      {
        path: this.kubeconfigPath,
        data: renderKubeconfig(cluster, { kind: 'files', certFile: this.pemPath, keyFile: this.pemPath }),
        tmp: tmpPathFor(this.kubeconfigPath),
      },
    ];
    let staged: StagedFile[];
    try {
      staged = await stageAll([...files, journalFor(files, join(this.certDir, JOURNAL))]);
    } catch (err) {
      throw err instanceof StageFailure ? fileStoreError('write', err.target, err.cause) : err;
    }
    const journal = staged.pop()!;
    const abort = async (): Promise<void> => {
      await Promise.all([...staged.splice(0), journal].map((file) => file.abort()));
    };
    crashPoint('credential-staged');
    stopPoint('credential-staged');
    return {
      abort,
      commit: async () => {
        try {
          await commitTogether(staged, journal);
        } catch (err) {
          await abort();
          throw fileStoreError('put in place the credential in', this.certDir, err);
        }
        staged.length = 0;
        // One fsync of the directory for the journal's removal and the pending key's.
        await removeFile(this.pendingPath).catch(() => undefined);
        await syncDir(this.certDir).catch(() => undefined);
        return this.describe();
      },
    };
  }

  async save(certPem: string, keyPem: string, cluster: ClusterRef): Promise<StoredCredential> {
    return (await this.stage(certPem, keyPem, cluster)).commit();
  }

  /** Removes the pending key, and nothing else: never a directory, never the credential. */
  async discardPending(): Promise<void> {
    await removeFile(this.pendingPath);
    await syncDir(this.certDir).catch(() => undefined);
  }

  /** The current pair (a regular file, or the kubelet's link to one in the same directory). */
  async load(): Promise<CertAndKey | undefined> {
    const pem = await readCredentialFile(this.currentPath);
    if (pem === undefined) return undefined;
    const pair = splitPem(pem);
    if (!pair)
      throw new KubejoinError('store-failed', `${this.currentPath} does not hold a certificate and a private key`, {
        hint: 'Join again with a new token, or run "kubejoin reset" first.',
      });
    return pair;
  }

  get rotationKeyLocation(): string {
    return this.rotationKeyPath;
  }

  async loadRotationKey(): Promise<string | undefined> {
    try {
      return await readFileNoFollow(this.rotationKeyPath);
    } catch (err) {
      throw fail('read', this.rotationKeyPath, err);
    }
  }

  async saveRotationKey(keyPem: string): Promise<void> {
    await writeFileAtomic(this.rotationKeyPath, keyPem, 0o600).catch((err: unknown) => {
      throw fail('write', this.rotationKeyPath, err);
    });
  }

  async discardRotationKey(): Promise<void> {
    await removeFile(this.rotationKeyPath);
  }

  /** The file store commits in one rename: there is never a verified-but-uncommitted pair. */
  async loadUncommitted(): Promise<CertAndKey | undefined> {
    return undefined;
  }

  async replace(certPem: string, keyPem: string): Promise<void> {
    await switchCurrent(this.place, certPem, keyPem);
    await this.discardRotationKey();
  }

  inventory(): Promise<StoredItem[]> {
    return fileInventory(this.place);
  }

  remove(): Promise<StoredItem[]> {
    return fileRemove(this.place);
  }
}
