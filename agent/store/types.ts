import type { StoredCredential } from '../contract/index.js';
import type { LockOptions, Release } from './lock.js';

export interface ClusterRef {
  server: string;
  caPem: string;
}

/** A credential written to the store's staging area, not yet in place. */
export interface StagedCredential {
  /** Puts it in place (as one unit), drops the pending key. */
  commit(): Promise<StoredCredential>;
  /** Removes what was staged; the previous credential is untouched. */
  abort(): Promise<void>;
}

/** A credential already in the store, as `join` finds it before asking for a new one. */
export interface ExistingCredential {
  certPem: string;
  keyPem: string;
  stored: StoredCredential;
}

/** Where a join keeps its key (from before the CSR is sent) and, at the end, its credential. */
export interface CredentialStore {
  readonly kind: 'file' | 'keychain';
  /** Why this store was picked (shown to the operator). */
  readonly reason: string;
  /**
   * One run at a time (docs/stores.md §8): waits (bounded) for another join, rotation or reset
   * on the same directories, then holds them until the returned function is called. A run
   * takes it before its first store call: the start-up recovery and sweep refuse to run without it.
   */
  lock(opts?: LockOptions): Promise<Release>;
  /** A key saved by an earlier, unfinished join for the same node and cluster. */
  loadPendingKey(): Promise<string | undefined>;
  /** Saves the key before the CSR is sent, so a re-run reuses it. */
  savePendingKey(keyPem: string): Promise<void>;
  /** The credential already stored for this node (and cluster, keychain), if any. */
  loadCredential(): Promise<ExistingCredential | undefined>;
  /** Stages the issued certificate and key and the kubeconfig; nothing in place changes yet. */
  stage(certPem: string, keyPem: string, cluster: ClusterRef): Promise<StagedCredential>;
  /** stage() then commit(). */
  save(certPem: string, keyPem: string, cluster: ClusterRef): Promise<StoredCredential>;
  /** After a failure that makes the pending key useless: removes it (loaded or written by this run). */
  discardPending(): Promise<void>;
}

export interface StoreTarget {
  nodeName: string;
  /** API server URL (from cluster-info), keys the keychain entries. */
  server: string;
  certDir?: string;
  kubeconfigOut?: string;
  env: NodeJS.ProcessEnv;
  /** The command kubectl runs as exec plugin for the keychain store. */
  credentialCommand?: { command: string; args: string[] };
  /** The join's cancel/deadline: ends a keychain call in flight. */
  signal?: AbortSignal;
}
