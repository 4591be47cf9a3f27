import { readFile, rm, chmod } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { StoredCredential } from '../contract/index.js';
import { KubejoinError } from '../errors.js';
import { ensureDir, stageFile, writeFileAtomic, type StagedFile } from './fs-atomic.js';
import { renderKubeconfig } from '../protocol/kubeconfig.js';
import { defaultCertDir, defaultKubeconfigPath } from './paths.js';
import type { ClusterRef, CredentialStore, StoreTarget } from './types.js';

// The kubelet's layout: <certDir>/kubelet-client-current.pem (certificate blocks then key,
// 0600, directory 0700) and a kubelet.conf-like kubeconfig pointing at it. The key of an
// unfinished join waits in <certDir>/kubelet-client.key.tmp, as the kubelet keeps it.

export const CURRENT_PEM = 'kubelet-client-current.pem';
export const PENDING_KEY = 'kubelet-client.key.tmp';

function storeError(action: string, path: string, err: unknown): KubejoinError {
  const code = (err as NodeJS.ErrnoException).code;
  return new KubejoinError('store-failed', `cannot ${action} ${path}: ${code ?? (err as Error).message}`, {
    hint: code === 'EACCES' || code === 'EPERM' ? 'Run as root, or choose writable paths with --cert-dir and --kubeconfig-out.' : 'Check the path and free disk space.',
  });
}

export class FileStore implements CredentialStore {
  readonly kind = 'file' as const;
  readonly certDir: string;
  readonly kubeconfigPath: string;
  /** Directories this join created, removed again if it fails before saving. */
  private readonly createdDirs: string[] = [];

  constructor(target: StoreTarget, readonly reason: string) {
    this.certDir = resolve(target.certDir ?? defaultCertDir(target.env));
    this.kubeconfigPath = resolve(target.kubeconfigOut ?? defaultKubeconfigPath(target.env));
  }

  private get pendingPath(): string {
    return join(this.certDir, PENDING_KEY);
  }

  async loadPendingKey(): Promise<string | undefined> {
    try {
      return await readFile(this.pendingPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw storeError('read', this.pendingPath, err);
    }
  }

  private async ensureDir(dir: string, mode: number): Promise<void> {
    const created = await ensureDir(dir, mode);
    if (created) this.createdDirs.push(created);
  }

  async savePendingKey(keyPem: string): Promise<void> {
    try {
      await this.ensureDir(this.certDir, 0o700);
      await writeFileAtomic(this.pendingPath, keyPem, 0o600);
    } catch (err) {
      throw storeError('write', this.pendingPath, err);
    }
  }

  async save(certPem: string, keyPem: string, cluster: ClusterRef): Promise<StoredCredential> {
    const pemPath = join(this.certDir, CURRENT_PEM);
    // Stage both files first, then rename both: a failure leaves the previous credential whole.
    const staged: StagedFile[] = [];
    let path = pemPath;
    try {
      await this.ensureDir(this.certDir, 0o700);
      await chmod(this.certDir, 0o700);
      staged.push(await stageFile(pemPath, `${certPem.trim()}\n${keyPem.trim()}\n`, 0o600));
      path = this.kubeconfigPath;
      await this.ensureDir(dirname(this.kubeconfigPath), 0o700);
      staged.push(await stageFile(this.kubeconfigPath, renderKubeconfig(cluster, { kind: 'files', certFile: pemPath, keyFile: pemPath }), 0o600));
      for (const file of staged) await file.commit();
    } catch (err) {
      for (const file of staged) await file.abort();
      throw storeError('write', path, err);
    }
    await rm(this.pendingPath, { force: true });
    return { kind: 'file', reason: this.reason, kubeconfigPath: this.kubeconfigPath, location: pemPath };
  }

  async discardPending(): Promise<void> {
    await rm(this.pendingPath, { force: true });
    for (const dir of this.createdDirs.reverse()) await rm(dir, { recursive: true, force: true });
    this.createdDirs.length = 0;
  }
}
