import type { StoredCredential } from '../contract/index.js';
import type { LockOptions, Release } from './lock.js';
import type { CertAndKey, StoredItem } from './pem-pair.js';

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

/**
 * The one credential store (docs/stores.md), with a file and a keychain backend: where a join
 * keeps its key (from before the CSR is sent) and puts its credential, and where everything
 * after the join (status, rotation, the agent, reset) finds, replaces and removes it.
 */
export interface Store {
  readonly kind: 'file' | 'keychain';
  /** Why this store was picked (shown to the operator). */
  readonly reason: string;
  /** The kubeconfig that names the credential. */
  readonly kubeconfigPath: string;
  /** Server URL and CA bundle from the kubeconfig, for a store found through it (after the join). */
  readonly cluster?: ClusterRef | undefined;
  /** The directories this store writes into: each holds the run lock (docs/stores.md §8). */
  readonly lockDirs: string[];
  /** Store, location and kubeconfig, as a join reports them. */
  describe(): StoredCredential;
  /**
   * One run at a time (docs/stores.md §8): waits (bounded) for another join, rotation or reset
   * on the same directories, then holds them until the returned function is called. A join
   * takes it before its first store call: the start-up recovery and sweep refuse to run without it.
   */
  lock(opts?: LockOptions): Promise<Release>;

  /** A key saved by an earlier, unfinished join for the same node and cluster. */
  loadPendingKey(): Promise<string | undefined>;
  /** Saves the key before the CSR is sent, so a re-run reuses it. */
  savePendingKey(keyPem: string): Promise<void>;
  /** After a failure that makes the pending key useless: removes it (loaded or written by this run). */
  discardPending(): Promise<void>;
  /** The credential already stored for this node (and cluster, keychain), as a join finds it. */
  loadCredential(): Promise<ExistingCredential | undefined>;
  /** Stages the issued certificate and key and the kubeconfig; nothing in place changes yet. */
  stage(certPem: string, keyPem: string, cluster: ClusterRef): Promise<StagedCredential>;
  /** stage() then commit(). */
  save(certPem: string, keyPem: string, cluster: ClusterRef): Promise<StoredCredential>;

  /** The current certificate and key (a consistent pair), or undefined if gone. */
  load(): Promise<CertAndKey | undefined>;
  /** Where the key of an unfinished rotation is kept, in words. */
  readonly rotationKeyLocation: string;
  /** The key of a rotation that has not finished (its CSR may be waiting). */
  loadRotationKey(): Promise<string | undefined>;
  /** Saved before the rotation's CSR is sent, so a re-run reuses the same request. */
  saveRotationKey(keyPem: string): Promise<void>;
  discardRotationKey(): Promise<void>;
  /** Makes a verified certificate and its key the current credential; a kill at any point leaves either pair usable. */
  replace(certPem: string, keyPem: string): Promise<void>;
  /** A rotation that was verified but not committed when the process died, if any. */
  loadUncommitted(): Promise<CertAndKey | undefined>;
  /** Everything of this credential that exists in the store (for reset). */
  inventory(): Promise<StoredItem[]>;
  /** Removes everything `inventory()` lists; returns what it removed. */
  remove(): Promise<StoredItem[]>;
}

/** A store found through the kubeconfig a join wrote: its cluster is known. */
export type InstalledCredential = Store & { readonly cluster: ClusterRef };

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
