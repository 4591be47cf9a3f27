import type { StoredCredential } from '../contract/index.js';

export interface ClusterRef {
  server: string;
  caPem: string;
}

/** Where a join keeps its key (from before the CSR is sent) and, at the end, its credential. */
export interface CredentialStore {
  readonly kind: 'file' | 'keychain';
  /** Why this store was picked (shown to the operator). */
  readonly reason: string;
  /** A key saved by an earlier, unfinished join for the same node and cluster. */
  loadPendingKey(): Promise<string | undefined>;
  /** Saves the key before the CSR is sent, so a re-run reuses it. */
  savePendingKey(keyPem: string): Promise<void>;
  /** Stores the issued certificate and key, writes the kubeconfig, drops the pending key. */
  save(certPem: string, keyPem: string, cluster: ClusterRef): Promise<StoredCredential>;
  /** After a failure that makes the pending key useless: removes what this join wrote. */
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
}
