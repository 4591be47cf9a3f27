import { dirname, join, resolve } from 'node:path';
import type { StoredCredential } from '../contract/index.js';
import { KubejoinError } from '../errors.js';
import { crashPoint } from './crash-point.js';
import { fileStoreError } from './errno.js';
import {
  chmodDirNoFollow,
  ensureDir,
  readFileNoFollow,
  removeFile,
  stageFile,
  sweepTemporaries,
  syncDir,
  writeFileAtomic,
  type StagedFile,
} from './fs-atomic.js';
import { commitTogether, recover } from './journal.js';
import { acquireRunLocks, type LockOptions, type Release } from './lock.js';
import { readCredentialFile } from './read-credential.js';
import { stopPoint } from './stop-point.js';
import { renderKubeconfig } from '../protocol/kubeconfig.js';
import { defaultCertDir, defaultKubeconfigPath } from './paths.js';
import type { ClusterRef, CredentialStore, ExistingCredential, StagedCredential, StoreTarget } from './types.js';

// The kubelet's layout: <certDir>/kubelet-client-current.pem (certificate blocks then key,
// 0600, directory 0700) and a kubelet.conf-like kubeconfig pointing at it. The key of an
// unfinished join waits in <certDir>/kubelet-client.key.tmp, as the kubelet keeps it.
// docs/stores.md §1: staged, fsynced, renamed as one unit (journal), directories fsynced.

export const CURRENT_PEM = 'kubelet-client-current.pem';
export const PENDING_KEY = 'kubelet-client.key.tmp';
export const JOURNAL = '.kubejoin-commit.json';

export class FileStore implements CredentialStore {
  readonly kind = 'file' as const;
  readonly certDir: string;
  readonly kubeconfigPath: string;
  private prepared: Promise<void> | undefined;
  private locked = false;

  constructor(
    target: StoreTarget,
    readonly reason: string,
  ) {
    this.certDir = resolve(target.certDir ?? defaultCertDir(target.env));
    this.kubeconfigPath = resolve(target.kubeconfigOut ?? defaultKubeconfigPath(target.env));
  }

  private get pendingPath(): string {
    return join(this.certDir, PENDING_KEY);
  }

  private get pemPath(): string {
    return join(this.certDir, CURRENT_PEM);
  }

  /** The directories this store writes into: each holds the run lock (docs/stores.md §8). */
  get lockDirs(): string[] {
    return [this.certDir, dirname(this.kubeconfigPath)];
  }

  async lock(opts: LockOptions = {}): Promise<Release> {
    const release = await acquireRunLocks(this.lockDirs, { ...opts, create: true });
    this.locked = true;
    return async () => {
      this.locked = false;
      await release();
    };
  }

  /**
   * Once per run, before anything is read: finish a half-done commit, sweep our temporaries.
   * Only under the run lock: a sweep must never remove the staged files of a live run.
   */
  private prepare(): Promise<void> {
    if (!this.locked) return Promise.reject(new KubejoinError('internal', `the file store in ${this.certDir} was used without its run lock`));
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
    return { certPem: `${certs.join('\n')}\n`, keyPem: `${key[0]}\n`, stored: this.stored() };
  }

  private stored(): StoredCredential {
    return { kind: 'file', reason: this.reason, kubeconfigPath: this.kubeconfigPath, location: this.pemPath };
  }

  async stage(certPem: string, keyPem: string, cluster: ClusterRef): Promise<StagedCredential> {
    await this.prepare();
    const staged: StagedFile[] = [];
    const abort = async (): Promise<void> => {
      for (const file of staged.splice(0)) await file.abort();
    };
    let path = this.pemPath;
    try {
      await ensureDir(this.certDir, 0o700);
      await chmodDirNoFollow(this.certDir, 0o700);
      staged.push(await stageFile(this.pemPath, `${certPem.trim()}\n${keyPem.trim()}\n`, 0o600));
      path = this.kubeconfigPath;
      await ensureDir(dirname(this.kubeconfigPath), 0o700);
      staged.push(await stageFile(this.kubeconfigPath, renderKubeconfig(cluster, { kind: 'files', certFile: this.pemPath, keyFile: this.pemPath }), 0o600));
    } catch (err) {
      await abort();
      throw fileStoreError('write', path, err);
    }
    crashPoint('credential-staged');
    stopPoint('credential-staged');
    return {
      abort,
      commit: async () => {
        try {
          await commitTogether(staged, join(this.certDir, JOURNAL));
        } catch (err) {
          await abort();
          throw fileStoreError('put in place the credential in', this.certDir, err);
        }
        staged.length = 0;
        await removeFile(this.pendingPath).catch(() => undefined);
        await syncDir(this.certDir).catch(() => undefined);
        return this.stored();
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
}
